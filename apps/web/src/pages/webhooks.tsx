import { useState } from 'react';
import type { RouterOutputs } from '@bastion/api';
import { FormAlert } from '../components/alerts.tsx';
import { Button } from '../components/button.tsx';
import { Dialog } from '../components/dialog.tsx';
import { PageHeading } from '../components/layout.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { useToast } from '../components/toast.tsx';
import { isApiError } from '../lib/api-error.ts';
import { Link, Redirect } from '../lib/router.tsx';
import { signInUrl } from '../lib/session-end.ts';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { useSession } from '../session.ts';
import { trpc } from '../trpc.ts';
import { DeliveryLog, deliveriesKey } from './webhooks/delivery-log.tsx';
import { EndpointForm, SecretReveal } from './webhooks/endpoint-form.tsx';
import { useQueryClient } from '@tanstack/react-query';

export type Endpoint = RouterOutputs['webhooks']['endpoints']['get'];

export function WebhooksPage() {
  useDocumentTitle('Webhooks');
  const session = useSession();
  if (session.status === 'signed-out') return <Redirect to={signInUrl(window.location)} />;
  if (session.status !== 'signed-in') return <LoadingStatus label="Loading…" />;
  if (!session.user.emailVerified) {
    return (
      <section className="w-full max-w-3xl self-start">
        <PageHeading title="Webhooks" />
        <p className="rounded-lg border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200">
          Webhooks send your data to other systems, so they need a confirmed email address. Confirm yours from the link we emailed, or ask for a new one on your{' '}
          <Link to="/account" className="font-semibold underline">
            account page
          </Link>
          .
        </p>
      </section>
    );
  }
  return <Webhooks />;
}

type Dialogs = { kind: 'create' } | { kind: 'edit'; endpoint: Endpoint } | { kind: 'secret'; secret: string; title: string } | { kind: 'rotate'; endpoint: Endpoint } | { kind: 'disable'; endpoint: Endpoint } | null;

function Webhooks() {
  const [dialog, setDialog] = useState<Dialogs>(null);
  const toast = useToast();
  const push = (tone: 'success' | 'error', message: string) => toast(message, tone);
  const endpoints = trpc.webhooks.endpoints.list.useQuery();
  const close = () => setDialog(null);
  // A dialog closing (Escape, ×, or because another one replaces it) only clears its own state:
  // the create dialog's close event must not wipe the secret dialog that follows it.
  const closeIf = (kind: NonNullable<Dialogs>['kind']) => () => setDialog((current) => (current?.kind === kind ? null : current));

  return (
    <section className="w-full max-w-3xl self-start">
      <div className="mb-4 flex flex-wrap items-start justify-between gap-x-3">
        <PageHeading title="Webhooks" subtitle="Bastion tells your other systems when your contacts change, with signed HTTP requests." />
        <Button compact onClick={() => setDialog({ kind: 'create' })}>
          New endpoint
        </Button>
      </div>

      {endpoints.isPending ? (
        <div className="rounded-2xl bg-white p-6 shadow-sm ring-1 ring-slate-200 dark:bg-gray-900 dark:ring-gray-700">
          <LoadingStatus label="Loading endpoints…" />
        </div>
      ) : endpoints.isError ? (
        <div className="space-y-3 rounded-2xl bg-white p-6 shadow-sm ring-1 ring-slate-200 dark:bg-gray-900 dark:ring-gray-700">
          <FormAlert error={{ message: 'We could not load your webhook endpoints. Check your connection, then try again.' }} />
          <Button variant="secondary" onClick={() => void endpoints.refetch()}>
            Try again
          </Button>
        </div>
      ) : endpoints.data.length === 0 ? (
        <div className="rounded-2xl bg-white p-10 text-center shadow-sm ring-1 ring-slate-200 dark:bg-gray-900 dark:ring-gray-700">
          <p className="font-medium text-slate-900 dark:text-gray-100">No endpoints yet</p>
          <p className="mt-1 text-sm text-slate-600 dark:text-gray-400">Add the URL of a receiver; every request to it is signed with its own secret.</p>
          <Button className="mt-4" onClick={() => setDialog({ kind: 'create' })}>
            New endpoint
          </Button>
        </div>
      ) : (
        <ul aria-label="Endpoints" className="space-y-4">
          {endpoints.data.map((endpoint) => (
            <EndpointCard key={endpoint.id} endpoint={endpoint} onDialog={setDialog} onOutcome={push} />
          ))}
        </ul>
      )}

      <Dialog title="New endpoint" open={dialog?.kind === 'create'} onClose={closeIf('create')}>
        {dialog?.kind === 'create' && (
          <EndpointForm
            onCreated={(secret) => {
              push('success', 'Endpoint added.');
              setDialog({ kind: 'secret', secret, title: 'Your signing secret' });
            }}
            onSaved={close}
          />
        )}
      </Dialog>
      <Dialog title="Edit endpoint" open={dialog?.kind === 'edit'} onClose={closeIf('edit')}>
        {dialog?.kind === 'edit' && (
          <EndpointForm
            endpoint={dialog.endpoint}
            onSaved={(message) => {
              push('success', message);
              close();
            }}
          />
        )}
      </Dialog>
      <Dialog title={dialog?.kind === 'secret' ? dialog.title : 'Secret'} open={dialog?.kind === 'secret'} onClose={closeIf('secret')}>
        {dialog?.kind === 'secret' && <SecretReveal secret={dialog.secret} onDone={close} />}
      </Dialog>
      <Dialog title="Rotate the signing secret?" open={dialog?.kind === 'rotate'} onClose={closeIf('rotate')}>
        {dialog?.kind === 'rotate' && (
          <RotateConfirm
            endpoint={dialog.endpoint}
            onRotated={(secret) => {
              push('success', 'Secret rotated. The old one keeps signing for 24 hours.');
              setDialog({ kind: 'secret', secret, title: 'Your new signing secret' });
            }}
            onCancel={close}
          />
        )}
      </Dialog>
      <Dialog title="Disable this endpoint?" open={dialog?.kind === 'disable'} onClose={closeIf('disable')}>
        {dialog?.kind === 'disable' && (
          <DisableConfirm
            endpoint={dialog.endpoint}
            onDone={(tone, message) => {
              push(tone, message);
              close();
            }}
            onCancel={close}
          />
        )}
      </Dialog>
    </section>
  );
}

const DISABLED_REASON: Record<NonNullable<Endpoint['disabledReason']>, string> = {
  manual: 'Disabled',
  gone: 'Disabled: the receiver answered 410 Gone',
  failing: 'Disabled: every delivery failed for 5 days',
};

function EndpointCard({ endpoint, onDialog, onOutcome }: { endpoint: Endpoint; onDialog: (dialog: Dialogs) => void; onOutcome: (tone: 'success' | 'error', message: string) => void }) {
  const [showLog, setShowLog] = useState(false);
  const queryClient = useQueryClient();
  const utils = trpc.useUtils();
  const logId = `log-${endpoint.id}`;
  const test = trpc.webhooks.endpoints.test.useMutation({
    onSuccess: (delivery) => {
      void queryClient.invalidateQueries({ queryKey: deliveriesKey(endpoint.id) });
      if (delivery.status === 'succeeded') onOutcome('success', `Test event delivered: HTTP ${delivery.responseStatus} in ${delivery.durationMs} ms.`);
      else onOutcome('error', `Test event failed: ${delivery.responseStatus !== null ? `HTTP ${delivery.responseStatus}` : (delivery.responseBodyExcerpt ?? 'no response')}.`);
    },
    onError: (error) => onOutcome('error', isApiError(error) ? error.message : 'The test event could not be sent.'),
  });
  const enable = trpc.webhooks.endpoints.update.useMutation({
    onSuccess: () => {
      void utils.webhooks.endpoints.list.invalidate();
      onOutcome('success', 'Endpoint enabled. Replay dead deliveries from its log if you need them.');
    },
    onError: (error) => onOutcome('error', isApiError(error) ? error.message : 'The endpoint could not be enabled.'),
  });
  return (
    <li className="rounded-2xl bg-white p-4 shadow-sm ring-1 ring-slate-200 sm:p-6 dark:bg-gray-900 dark:ring-gray-700">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0 space-y-1">
          <p className="font-mono text-sm font-medium break-all text-slate-900 dark:text-gray-100">{endpoint.url}</p>
          {endpoint.description && <p className="text-sm text-slate-600 dark:text-gray-400">{endpoint.description}</p>}
          <p className="flex flex-wrap items-center gap-2 text-xs">
            <span className={`rounded-md px-2 py-0.5 font-semibold ${endpoint.enabled ? 'bg-emerald-50 text-emerald-800' : 'bg-red-50 text-red-800'}`}>
              {endpoint.enabled ? 'Enabled' : DISABLED_REASON[endpoint.disabledReason ?? 'manual']}
            </span>
            <span className="text-slate-600 dark:text-gray-400">{endpoint.events.includes('*') ? 'All events' : endpoint.events.join(', ')}</span>
          </p>
        </div>
      </div>
      <div className="mt-4 flex flex-wrap gap-2">
        <Button variant="secondary" compact pending={test.isPending} pendingLabel="Sending…" onClick={() => test.mutate({ id: endpoint.id })}>
          Send test
        </Button>
        <Button variant="secondary" compact onClick={() => onDialog({ kind: 'edit', endpoint })}>
          Edit
        </Button>
        <Button variant="secondary" compact onClick={() => onDialog({ kind: 'rotate', endpoint })}>
          Rotate secret
        </Button>
        {endpoint.enabled ? (
          <Button variant="secondary" compact onClick={() => onDialog({ kind: 'disable', endpoint })}>
            Disable
          </Button>
        ) : (
          <Button variant="secondary" compact pending={enable.isPending} pendingLabel="Enabling…" onClick={() => enable.mutate({ id: endpoint.id, enabled: true })}>
            Enable
          </Button>
        )}
        <Button variant="secondary" compact aria-expanded={showLog} aria-controls={logId} onClick={() => setShowLog((value) => !value)}>
          {showLog ? 'Hide deliveries' : 'Deliveries'}
        </Button>
      </div>
      {showLog && (
        <div id={logId} className="mt-4 border-t border-slate-100 pt-4 dark:border-gray-700">
          <DeliveryLog endpointId={endpoint.id} onOutcome={onOutcome} />
        </div>
      )}
    </li>
  );
}

function RotateConfirm({ endpoint, onRotated, onCancel }: { endpoint: Endpoint; onRotated: (secret: string) => void; onCancel: () => void }) {
  const rotate = trpc.webhooks.endpoints.rotateSecret.useMutation({ onSuccess: (result) => onRotated(result.secret) });
  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-700 dark:text-gray-300">
        A new secret signs every request from now on. For 24 hours the current one signs too, so you can update <span className="font-mono break-all">{endpoint.url}</span> without missing a request.
      </p>
      {rotate.isError && <FormAlert error={{ message: isApiError(rotate.error) ? rotate.error.message : 'The secret could not be rotated.' }} />}
      <div className="flex flex-wrap justify-end gap-2">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button pending={rotate.isPending} pendingLabel="Rotating…" onClick={() => rotate.mutate({ id: endpoint.id })}>
          Rotate secret
        </Button>
      </div>
    </div>
  );
}

function DisableConfirm({ endpoint, onDone, onCancel }: { endpoint: Endpoint; onDone: (tone: 'success' | 'error', message: string) => void; onCancel: () => void }) {
  const utils = trpc.useUtils();
  const disable = trpc.webhooks.endpoints.update.useMutation({
    onSuccess: () => {
      void utils.webhooks.endpoints.list.invalidate();
      onDone('success', 'Endpoint disabled. Nothing is sent to it until you enable it again.');
    },
    onError: (error) => onDone('error', isApiError(error) ? error.message : 'The endpoint could not be disabled.'),
  });
  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-700 dark:text-gray-300">
        Bastion stops sending events to <span className="font-mono break-all">{endpoint.url}</span>. Events that happen meanwhile are not sent to it; deliveries already on their way are kept as dead letters, which you can replay later.
      </p>
      <div className="flex flex-wrap justify-end gap-2">
        <Button variant="secondary" onClick={onCancel}>
          Keep it enabled
        </Button>
        <Button pending={disable.isPending} pendingLabel="Disabling…" onClick={() => disable.mutate({ id: endpoint.id, enabled: false })} className="bg-red-700 hover:bg-red-600">
          Disable
        </Button>
      </div>
    </div>
  );
}

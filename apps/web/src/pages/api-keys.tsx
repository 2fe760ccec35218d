import type { RouterOutputs } from '@bastion/api';
import { SCOPE_NAMES, SCOPES, type Scope } from '@bastion/api/scopes';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { FormAlert } from '../components/alerts.tsx';
import { Button } from '../components/button.tsx';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { useToast } from '../components/toast.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { BackToAccount, linkClasses, SignedIn } from '../components/signed-in.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { TextField } from '../components/text-field.tsx';
import { noErrors, toSubmitErrors, type SubmitErrors } from '../lib/api-error.ts';
import { focusFirstInvalid } from '../lib/focus.ts';
import { formatDateTime } from '../lib/format.ts';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { trpc } from '../trpc.ts';

type ApiKey = RouterOutputs['apiKeys']['list'][number];
type CreatedKey = RouterOutputs['apiKeys']['create'];

const FIELDS = ['name', 'scopes', 'expiresAt'] as const;
type Field = (typeof FIELDS)[number];

/** Expiry choices; "never" is allowed but not the default: a forgotten key should die on its own. */
const EXPIRIES = [
  ['30', '30 days'],
  ['90', '90 days'],
  ['365', '1 year'],
  ['never', 'Never'],
] as const;

export function ApiKeysPage() {
  useDocumentTitle('API keys');
  return <SignedIn>{() => <ApiKeys />}</SignedIn>;
}

function ApiKeys() {
  const keys = trpc.apiKeys.list.useQuery();
  const [created, setCreated] = useState<CreatedKey | null>(null);
  return (
    <Card wide>
      <PageHeading
        title="API keys"
        subtitle={
          <>
            Keys let your own services call Bastion as you, with only the permissions you choose. See the{' '}
            <a href="/api/docs" className={linkClasses}>
              API documentation
            </a>
            .
          </>
        }
      />
      {created ? (
        <NewKey created={created} onDone={() => setCreated(null)} />
      ) : (
        <CreateKeyForm onCreated={setCreated} />
      )}
      <section aria-labelledby="your-keys" className="mt-8">
        <h2 id="your-keys" className="mb-2 text-base font-semibold text-slate-900 dark:text-gray-100">
          Your keys
        </h2>
        {keys.isPending && <LoadingStatus label="Loading keys…" />}
        {keys.isError && <FormAlert error={{ message: 'Your keys could not be loaded. Reload the page to try again.' }} />}
        {keys.data && keys.data.length === 0 && <p className="text-sm text-slate-600 dark:text-gray-400">No API keys yet. Create one above when a service needs to reach your data.</p>}
        {keys.data && keys.data.length > 0 && <KeyList keys={keys.data} />}
      </section>
      <BackToAccount />
    </Card>
  );
}

function expiresAtFor(choice: string): string | undefined {
  const days = Number(choice);
  return Number.isFinite(days) ? new Date(Date.now() + days * 86_400_000).toISOString() : undefined;
}

function CreateKeyForm({ onCreated }: { onCreated: (key: CreatedKey) => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const scopesHintId = useId();
  const scopesErrorId = useId();
  const expiryId = useId();
  const [errors, setErrors] = useState<SubmitErrors<Field>>(noErrors);
  const utils = trpc.useUtils();
  const create = trpc.apiKeys.create.useMutation({
    onSuccess: (key) => {
      setErrors(noErrors);
      formRef.current?.reset();
      void utils.apiKeys.list.invalidate();
      onCreated(key);
    },
    onError: (error) => {
      setErrors(toSubmitErrors(error, FIELDS));
      focusFirstInvalid(formRef.current);
    },
  });

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const name = String(form.get('name') ?? '').trim();
    const scopes = form.getAll('scopes').map(String) as Scope[];
    const fields: Partial<Record<Field, string>> = {};
    if (!name) fields.name = 'Enter a name.';
    if (scopes.length === 0) fields.scopes = 'Choose at least one permission.';
    if (Object.keys(fields).length > 0) {
      setErrors({ fields, form: null });
      focusFirstInvalid(formRef.current);
      return;
    }
    create.mutate({ name, scopes, expiresAt: expiresAtFor(String(form.get('expiry') ?? '90')) });
  };

  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate className="space-y-5 rounded-xl bg-slate-50 p-4 ring-1 ring-slate-200 sm:p-5 dark:bg-gray-800 dark:ring-gray-700" aria-labelledby="create-key">
      <h2 id="create-key" className="text-base font-semibold text-slate-900 dark:text-gray-100">
        Create a key
      </h2>
      {errors.form && <FormAlert error={errors.form} />}
      <TextField label="Name" name="name" maxLength={100} autoComplete="off" hint="What uses it, e.g. “Nightly contacts digest”." error={errors.fields.name} />
      <fieldset aria-describedby={[errors.fields.scopes && scopesErrorId, scopesHintId].filter(Boolean).join(' ')}>
        <legend className="text-sm font-medium text-slate-800 dark:text-gray-100">Permissions</legend>
        <p id={scopesHintId} className="mt-1 text-sm text-slate-500 dark:text-gray-400">
          Give only what the service needs. A key can never sign in, change your password or manage other keys.
        </p>
        <div className="mt-2 grid gap-2">
          {SCOPE_NAMES.map((scope, index) => (
            <label key={scope} className="flex items-start gap-3 rounded-lg bg-white px-3 py-2 ring-1 ring-slate-200 has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-600 dark:bg-gray-900 dark:ring-gray-700">
              <input
                type="checkbox"
                name="scopes"
                value={scope}
                aria-invalid={errors.fields.scopes && index === 0 ? true : undefined}
                className="mt-0.5 size-4 shrink-0 rounded border-slate-300 accent-indigo-600 dark:border-gray-700"
              />
              <span className="min-w-0">
                <span className="block text-sm text-slate-900 dark:text-gray-100">{SCOPES[scope]}</span>
                <code className="block text-xs text-slate-500 dark:text-gray-400">{scope}</code>
              </span>
            </label>
          ))}
        </div>
        {errors.fields.scopes && (
          <p id={scopesErrorId} className="mt-1.5 text-sm text-red-700 dark:text-red-300">
            {errors.fields.scopes}
          </p>
        )}
      </fieldset>
      <div className="space-y-1.5">
        <label htmlFor={expiryId} className="block text-sm font-medium text-slate-800 dark:text-gray-100">
          Expires after
        </label>
        <select
          id={expiryId}
          name="expiry"
          defaultValue="90"
          aria-invalid={errors.fields.expiresAt ? true : undefined}
          className="block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-base text-slate-900 shadow-xs focus:border-indigo-600 focus:outline-2 focus:outline-indigo-600 sm:w-48 sm:text-sm dark:border-gray-700 dark:bg-gray-900 dark:text-gray-100"
        >
          {EXPIRIES.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
        {errors.fields.expiresAt && <p className="text-sm text-red-700 dark:text-red-300">{errors.fields.expiresAt}</p>}
      </div>
      <Button type="submit" pending={create.isPending} pendingLabel="Creating…">
        Create key
      </Button>
    </form>
  );
}

/** The one time the secret exists outside the service that will hold it. */
function NewKey({ created, onDone }: { created: CreatedKey; onDone: () => void }) {
  const inputId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const toast = useToast();
  // The form that had focus is gone: keyboard and screen-reader users land on the key.
  useEffect(() => headingRef.current?.focus(), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied('yes');
      toast('Copied to the clipboard.');
    } catch {
      setCopied('failed');
      toast('Copying failed: select the key and copy it yourself.', 'error');
    }
  };
  return (
    <section aria-labelledby="new-key" className="space-y-3 rounded-xl border border-amber-300 bg-amber-50 p-4 sm:p-5 dark:border-amber-800 dark:bg-amber-950">
      <h2 id="new-key" ref={headingRef} tabIndex={-1} className="text-base font-semibold text-amber-950 focus:outline-none dark:text-amber-100">
        Copy your new key now
      </h2>
      <p role="alert" className="text-sm text-amber-900 dark:text-amber-200">
        This is the only time “{created.name}” is shown. Store it in your service’s secret store; Bastion cannot show it again. If you lose it, revoke it and create a new one.
      </p>
      <label htmlFor={inputId} className="block text-sm font-medium text-amber-950 dark:text-amber-100">
        API key
      </label>
      <div className="flex flex-col gap-2 sm:flex-row">
        <input
          id={inputId}
          readOnly
          value={created.key}
          onFocus={(event) => event.currentTarget.select()}
          className="block w-full min-w-0 rounded-lg border border-amber-300 bg-white px-3 py-2 font-mono text-sm text-slate-900 focus:outline-2 focus:outline-indigo-600 dark:bg-gray-900 dark:text-gray-100"
          data-testid="new-api-key"
        />
        <Button onClick={() => void copy()}>{copied === 'yes' ? 'Copied' : 'Copy key'}</Button>
      </div>
      <Button variant="secondary" onClick={onDone}>
        I have stored it
      </Button>
    </section>
  );
}

function statusOf(key: ApiKey): { label: string; className: string } {
  if (key.revokedAt) return { label: 'Revoked', className: 'bg-slate-100 text-slate-700 ring-slate-500/20 dark:bg-gray-800 dark:text-gray-300' };
  if (key.expiresAt && Date.parse(key.expiresAt) <= Date.now()) return { label: 'Expired', className: 'bg-amber-50 text-amber-800 ring-amber-600/20 dark:bg-amber-950 dark:text-amber-200' };
  return { label: 'Active', className: 'bg-emerald-50 text-emerald-700 ring-emerald-600/20 dark:bg-emerald-950 dark:text-emerald-300' };
}

function KeyList({ keys }: { keys: ApiKey[] }) {
  const [confirming, setConfirming] = useState<ApiKey | null>(null);
  const toast = useToast();
  const utils = trpc.useUtils();
  const revoke = trpc.apiKeys.revoke.useMutation({
    onSuccess: () => {
      if (confirming) toast(`Revoked “${confirming.name}”. Services using it are refused from now on.`);
      setConfirming(null);
      void utils.apiKeys.list.invalidate();
    },
  });
  return (
    <>
      <ul className="divide-y divide-slate-100 border-y border-slate-100 dark:divide-gray-700 dark:border-gray-700" aria-label="API keys">
        {keys.map((key) => {
          const status = statusOf(key);
          return (
            <li key={key.id} className="flex flex-wrap items-start justify-between gap-3 py-3">
              <div className="min-w-0 space-y-1">
                <p className="text-sm font-medium break-words text-slate-900 dark:text-gray-100">
                  {key.name}
                  <span className={`ml-2 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${status.className}`}>{status.label}</span>
                </p>
                <p className="font-mono text-xs text-slate-600 dark:text-gray-400">bst_{key.prefix}_…</p>
                <p className="text-xs text-slate-600 dark:text-gray-400">{key.scopes.map((scope) => SCOPES[scope]).join(' · ')}</p>
                <p className="text-xs text-slate-500 dark:text-gray-400">
                  Created {formatDateTime(key.createdAt)} · {key.lastUsedAt ? `last used ${formatDateTime(key.lastUsedAt)}` : 'never used'} ·{' '}
                  {key.revokedAt ? `revoked ${formatDateTime(key.revokedAt)}` : key.expiresAt ? `expires ${formatDateTime(key.expiresAt)}` : 'never expires'}
                </p>
              </div>
              {!key.revokedAt && (
                <Button variant="secondary" compact aria-label={`Revoke ${key.name}`} onClick={() => setConfirming(key)}>
                  Revoke
                </Button>
              )}
            </li>
          );
        })}
      </ul>
      <ConfirmDialog
        title="Revoke this key?"
        open={confirming !== null}
        onClose={() => {
          setConfirming(null);
          revoke.reset();
        }}
        onConfirm={() => confirming && revoke.mutate({ id: confirming.id })}
        confirmLabel="Revoke key"
        pendingLabel="Revoking…"
        pending={revoke.isPending}
        error={revoke.error?.message}
      >
        <p>
          Services using “{confirming?.name}” (<code className="font-mono">bst_{confirming?.prefix}_…</code>) are refused at once. This cannot be undone.
        </p>
      </ConfirmDialog>
    </>
  );
}

import { useRef, useState, type FormEvent } from 'react';
import { FormAlert } from '../../components/alerts.tsx';
import { Button } from '../../components/button.tsx';
import { TextField } from '../../components/text-field.tsx';
import { noErrors, toSubmitErrors, type SubmitErrors } from '../../lib/api-error.ts';
import { focusFirstInvalid } from '../../lib/focus.ts';
import { trpc } from '../../trpc.ts';
import type { Endpoint } from '../webhooks.tsx';

const FIELDS = ['url', 'events', 'description'] as const;
type Field = (typeof FIELDS)[number];

function endpointErrors(error: unknown): SubmitErrors<Field> {
  const errors = toSubmitErrors(error, FIELDS);
  if (errors.form && /event/i.test(errors.form.message) && !errors.fields.events) errors.fields.events = 'Choose known event types.';
  return errors;
}

/** Create or edit an endpoint. A new endpoint's secret is handed to `onCreated`, to be shown once. */
export function EndpointForm({ endpoint, onCreated, onSaved }: { endpoint?: Endpoint; onCreated?: (secret: string) => void; onSaved: (message: string) => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const [errors, setErrors] = useState<SubmitErrors<Field>>(noErrors);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const utils = trpc.useUtils();
  const eventTypes = trpc.webhooks.eventTypes.useQuery();
  const onError = (error: unknown) => {
    setErrors(endpointErrors(error));
    focusFirstInvalid(formRef.current);
  };
  const refresh = () => void utils.webhooks.endpoints.list.invalidate();
  const create = trpc.webhooks.endpoints.create.useMutation({
    onSuccess: (created) => {
      refresh();
      onCreated?.(created.secret);
    },
    onError,
  });
  const update = trpc.webhooks.endpoints.update.useMutation({
    onSuccess: () => {
      refresh();
      onSaved('Endpoint saved.');
    },
    onError,
  });
  const remove = trpc.webhooks.endpoints.delete.useMutation({
    onSuccess: () => {
      refresh();
      onSaved('Endpoint deleted.');
    },
    onError,
  });

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const url = String(form.get('url') ?? '').trim();
    const description = String(form.get('description') ?? '').trim();
    const events = form.getAll('events').map(String) as ('contact.created' | 'contact.updated' | 'contact.deleted' | '*')[];
    const local: SubmitErrors<Field> = { fields: {}, form: null };
    if (!url) local.fields.url = 'Enter the URL that receives the webhooks.';
    if (events.length === 0) local.fields.events = 'Choose at least one event type.';
    if (Object.keys(local.fields).length > 0) {
      setErrors(local);
      return focusFirstInvalid(formRef.current);
    }
    setErrors(noErrors);
    if (endpoint) update.mutate({ id: endpoint.id, url, events, description: description || null });
    else create.mutate({ url, events, ...(description ? { description } : {}) });
  };

  const selected = new Set(endpoint?.events ?? ['*']);
  return (
    <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-4">
      {errors.form && <FormAlert error={errors.form} />}
      <TextField
        label="Endpoint URL"
        name="url"
        type="url"
        inputMode="url"
        required
        maxLength={2048}
        placeholder="https://example.com/webhooks"
        defaultValue={endpoint?.url}
        autoComplete="off"
        hint="HTTPS, on a public address. Bastion signs every request (Standard Webhooks)."
        error={errors.fields.url}
      />
      <TextField label="Description" name="description" maxLength={500} defaultValue={endpoint?.description ?? ''} autoComplete="off" error={errors.fields.description} />
      <fieldset aria-describedby={errors.fields.events ? 'events-error' : undefined} aria-invalid={errors.fields.events ? true : undefined} className="space-y-2">
        <legend className="text-sm font-medium text-slate-800 dark:text-gray-100">Events</legend>
        <Checkbox value="*" label="All events, including ones added later" defaultChecked={selected.has('*')} />
        {(eventTypes.data ?? []).map((type) => (
          <Checkbox key={type.type} value={type.type} label={type.type} hint={type.description} defaultChecked={selected.has(type.type)} />
        ))}
        {eventTypes.isError && <p className="text-sm text-red-700 dark:text-red-300">The event types could not be loaded.</p>}
        {errors.fields.events && (
          <p id="events-error" className="text-sm text-red-700 dark:text-red-300">
            {errors.fields.events}
          </p>
        )}
      </fieldset>
      <div className="flex flex-wrap items-center justify-between gap-3 pt-2">
        {endpoint ? (
          confirmingDelete ? (
            <div role="group" aria-label="Confirm deletion" className="flex flex-wrap items-center gap-2">
              <span className="text-sm text-slate-700 dark:text-gray-300">Delete it and its delivery log?</span>
              <Button variant="secondary" compact pending={remove.isPending} pendingLabel="Deleting…" onClick={() => remove.mutate({ id: endpoint.id })} className="text-red-700 dark:text-red-300">
                Yes, delete
              </Button>
              <Button variant="secondary" compact onClick={() => setConfirmingDelete(false)}>
                Keep
              </Button>
            </div>
          ) : (
            <Button variant="secondary" compact onClick={() => setConfirmingDelete(true)} className="text-red-700 dark:text-red-300">
              Delete
            </Button>
          )
        ) : (
          <span />
        )}
        <Button type="submit" pending={create.isPending || update.isPending} pendingLabel="Saving…">
          {endpoint ? 'Save changes' : 'Add endpoint'}
        </Button>
      </div>
    </form>
  );
}

function Checkbox({ value, label, hint, defaultChecked }: { value: string; label: string; hint?: string; defaultChecked: boolean }) {
  return (
    <label className="flex items-start gap-3 rounded-lg px-1 py-1 text-sm">
      <input type="checkbox" name="events" value={value} defaultChecked={defaultChecked} className="mt-0.5 size-4 rounded border-slate-300 text-indigo-600 focus-visible:outline-2 focus-visible:outline-indigo-600 dark:border-gray-700 dark:text-indigo-300" />
      <span>
        <span className="font-medium text-slate-900 dark:text-gray-100">{label}</span>
        {hint && <span className="block text-slate-600 dark:text-gray-400">{hint}</span>}
      </span>
    </label>
  );
}

/** The secret, once: copy it now, it is never shown again. */
export function SecretReveal({ secret, onDone }: { secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-700 dark:text-gray-300">Copy the signing secret now and store it with your receiver. It is shown only this once.</p>
      <code data-testid="webhook-secret" className="block rounded-lg bg-slate-100 px-3 py-2 font-mono text-sm break-all text-slate-900 dark:bg-gray-800 dark:text-gray-100">
        {secret}
      </code>
      <p role="status" className="text-sm text-slate-600 dark:text-gray-400">
        {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'failed' ? 'Copying is blocked here: select the secret and copy it by hand.' : ''}
      </p>
      <div className="flex flex-wrap justify-end gap-2">
        <Button variant="secondary" onClick={() => void copy()}>
          Copy secret
        </Button>
        <Button onClick={onDone}>I have stored it</Button>
      </div>
    </div>
  );
}

import { useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent } from 'react';
import { FormAlert } from '../../components/alerts.tsx';
import { useToast } from '../../components/toast.tsx';
import { Button } from '../../components/button.tsx';
import { TextField } from '../../components/text-field.tsx';
import { isApiError, noErrors, toSubmitErrors, type SubmitErrors } from '../../lib/api-error.ts';
import { focusFirstInvalid } from '../../lib/focus.ts';
import { trpc } from '../../trpc.ts';
import { CONTACTS_LIST_KEY, type Contact } from '../contacts.tsx';
import { splitTags } from './url-state.ts';

const FIELDS = ['name', 'email', 'phone', 'company', 'tags', 'notes'] as const;
type Field = (typeof FIELDS)[number];

function contactErrors(error: unknown): SubmitErrors<Field> {
  if (isApiError(error) && error.data?.reason === 'contact_email_taken') return { fields: { email: error.message }, form: null };
  const errors = toSubmitErrors(error, FIELDS);
  // "tags.3" and the like belong to the tags field.
  const data = isApiError(error) ? error.data : undefined;
  for (const [key, messages] of Object.entries(data?.fieldErrors ?? {})) {
    if (key.startsWith('tags.') && messages[0]) errors.fields.tags ??= messages[0];
  }
  if (errors.fields.tags && errors.form) errors.form = null;
  return errors;
}

/** Closing the dialog around it with edits asks first: the generic guard of components/dialog.tsx. */
export function ContactForm({ contact, onDone }: { contact?: Contact; onDone: () => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const notesId = useId();
  const [errors, setErrors] = useState<SubmitErrors<Field>>(noErrors);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const toast = useToast();
  const queryClient = useQueryClient();
  const utils = trpc.useUtils();
  const done = (message: string) => {
    void utils.contacts.invalidate();
    void queryClient.invalidateQueries({ queryKey: CONTACTS_LIST_KEY });
    toast(message);
    onDone();
  };
  const onError = (error: unknown) => {
    setErrors(contactErrors(error));
    focusFirstInvalid(formRef.current);
  };
  const create = trpc.contacts.create.useMutation({ onSuccess: (created) => done(`${created.name} added.`), onError });
  const update = trpc.contacts.update.useMutation({ onSuccess: (updated) => done(`${updated.name} saved.`), onError });
  const remove = trpc.contacts.delete.useMutation({ onSuccess: () => done(`${contact?.name ?? 'Contact'} deleted.`), onError });
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: Field) => String(form.get(name) ?? '').trim();
    const values = {
      name: text('name'),
      email: text('email') || null,
      phone: text('phone') || null,
      company: text('company') || null,
      notes: text('notes') || null,
      tags: splitTags(text('tags')),
    };
    if (!values.name) {
      setErrors({ fields: { name: 'Enter a name.' }, form: null });
      return focusFirstInvalid(formRef.current);
    }
    setErrors(noErrors);
    // Only what changed: the contact's history then names the fields that really changed.
    if (contact) {
      const patch = Object.fromEntries(
        Object.entries(values).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(contact[key as keyof typeof values])),
      ) as Partial<typeof values>;
      update.mutate({ id: contact.id, ...patch });
    }
    else create.mutate(values);
  };

  const pending = create.isPending || update.isPending;
  return (
    <form
      ref={formRef}
      noValidate
      onSubmit={onSubmit}
      className="space-y-4"
    >
      {errors.form && <FormAlert error={errors.form} />}
      <TextField label="Name" name="name" required maxLength={200} defaultValue={contact?.name} autoComplete="off" error={errors.fields.name} />
      <TextField label="Email" name="email" type="email" inputMode="email" maxLength={254} defaultValue={contact?.email ?? ''} autoComplete="off" error={errors.fields.email} />
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField label="Phone" name="phone" type="tel" maxLength={50} defaultValue={contact?.phone ?? ''} autoComplete="off" error={errors.fields.phone} />
        <TextField label="Company" name="company" maxLength={200} defaultValue={contact?.company ?? ''} autoComplete="off" error={errors.fields.company} />
      </div>
      <TextField label="Tags" name="tags" hint="Separate tags with commas." defaultValue={contact?.tags.join(', ') ?? ''} autoComplete="off" error={errors.fields.tags} />
      <div className="space-y-1.5">
        <label htmlFor={notesId} className="block text-sm font-medium text-slate-800 dark:text-gray-200">
          Notes
        </label>
        <textarea
          id={notesId}
          name="notes"
          rows={3}
          maxLength={10_000}
          defaultValue={contact?.notes ?? ''}
          aria-invalid={errors.fields.notes ? true : undefined}
          className="block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-base shadow-xs focus:border-indigo-600 focus:outline-2 focus:outline-indigo-600 sm:text-sm dark:border-gray-700 dark:bg-gray-800 dark:text-gray-100"
        />
        {errors.fields.notes && <p className="text-sm text-red-700 dark:text-red-300">{errors.fields.notes}</p>}
      </div>
      <div className="flex flex-wrap items-center justify-between gap-3 pt-2">
        {contact ? (
          confirmingDelete ? (
            <div role="group" aria-label="Confirm deletion" className="flex items-center gap-2">
              <span className="text-sm text-slate-700 dark:text-gray-300">Delete for good?</span>
              <Button variant="secondary" compact pending={remove.isPending} pendingLabel="Deleting…" onClick={() => remove.mutate({ id: contact.id })} className="text-red-700 dark:text-red-300">
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
        <Button type="submit" pending={pending} pendingLabel="Saving…">
          {contact ? 'Save changes' : 'Add contact'}
        </Button>
      </div>
    </form>
  );
}

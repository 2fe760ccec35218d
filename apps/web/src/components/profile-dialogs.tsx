import { useRef, useState, type FormEvent } from 'react';
import { FormAlert } from './alerts.tsx';
import { Button } from './button.tsx';
import { Dialog } from './dialog.tsx';
import { TextField } from './text-field.tsx';
import { useToast } from './toast.tsx';
import { noErrors, toSubmitErrors, type SubmitErrors } from '../lib/api-error.ts';
import { focusFirstInvalid } from '../lib/focus.ts';
import type { User } from '../session.ts';
import { trpc } from '../trpc.ts';

export function EditNameDialog({ user, open, onClose }: { user: User; open: boolean; onClose: () => void }) {
  const utils = trpc.useUtils();
  const toast = useToast();
  const formRef = useRef<HTMLFormElement>(null);
  const [errors, setErrors] = useState<SubmitErrors<'name'>>(noErrors);
  const update = trpc.auth.updateProfile.useMutation({
    onSuccess: ({ user: saved }) => {
      utils.auth.me.setData(undefined, (current) => (current ? { ...current, user: saved } : current));
      toast('Name saved.');
      onClose();
    },
    onError: (error) => {
      setErrors(toSubmitErrors(error, ['name'] as const));
      focusFirstInvalid(formRef.current);
    },
  });
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    update.mutate({ name: String(new FormData(event.currentTarget).get('name') ?? '').trim() });
  };
  return (
    <Dialog title="Your name" open={open} onClose={onClose}>
      <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-5">
        {errors.form && <FormAlert error={errors.form} />}
        <TextField label="Name" name="name" autoComplete="name" defaultValue={user.name ?? ''} maxLength={100} hint="How Bastion greets you. Leave it empty to use your email address." error={errors.fields.name} />
        <div className="flex flex-wrap justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" pending={update.isPending} pendingLabel="Saving…">
            Save name
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

const EMAIL_FIELDS = ['newEmail', 'password'] as const;

/** Asks for the new address and the password; the change waits for the link mailed to the new address. */
export function ChangeEmailDialog({ user, open, onClose, onRequested }: { user: User; open: boolean; onClose: () => void; onRequested: (newEmail: string) => void }) {
  const toast = useToast();
  const formRef = useRef<HTMLFormElement>(null);
  const [errors, setErrors] = useState<SubmitErrors<(typeof EMAIL_FIELDS)[number]>>(noErrors);
  const request = trpc.auth.requestEmailChange.useMutation({
    onSuccess: ({ newEmail }) => {
      toast(`We sent a confirmation link to ${newEmail}.`);
      onRequested(newEmail);
      onClose();
    },
    onError: (error) => {
      setErrors(toSubmitErrors(error, EMAIL_FIELDS));
      focusFirstInvalid(formRef.current);
    },
  });
  const close = () => {
    setErrors(noErrors);
    onClose();
  };
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const newEmail = String(form.get('newEmail') ?? '').trim();
    const password = String(form.get('password') ?? '');
    const missing: typeof errors = { fields: {}, form: null };
    if (!newEmail) missing.fields.newEmail = 'Enter the new email address.';
    if (!password) missing.fields.password = 'Enter your password.';
    setErrors(missing);
    if (Object.keys(missing.fields).length > 0) return focusFirstInvalid(formRef.current);
    request.mutate({ newEmail, password });
  };
  return (
    <Dialog title="Change your email address" open={open} onClose={close}>
      <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-5">
        <p className="text-sm text-slate-700 dark:text-gray-300">
          {`We email a link to the new address. Your account keeps ${user.email} until you open it, and that address is told and can undo the change for 7 days. You stay signed in.`}
        </p>
        {errors.form && <FormAlert error={errors.form} />}
        <TextField label="New email address" name="newEmail" type="email" autoComplete="email" inputMode="email" required error={errors.fields.newEmail} />
        <TextField label="Your password" name="password" type="password" autoComplete="current-password" required error={errors.fields.password} />
        <div className="flex flex-wrap justify-end gap-2">
          <Button variant="secondary" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" pending={request.isPending} pendingLabel="Sending…">
            Send confirmation link
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

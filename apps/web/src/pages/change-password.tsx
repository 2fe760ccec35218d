import { useRef, useState, type FormEvent } from 'react';
import { FormAlert, Notice } from '../components/alerts.tsx';
import { Button } from '../components/button.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { BackToAccount, SignedIn } from '../components/signed-in.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { TextField } from '../components/text-field.tsx';
import { SetPasswordForm } from './set-password.tsx';
import { noErrors, toSubmitErrors, type SubmitErrors } from '../lib/api-error.ts';
import { focusFirstInvalid } from '../lib/focus.ts';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { trpc } from '../trpc.ts';

const FIELDS = ['currentPassword', 'newPassword'] as const;
type Field = (typeof FIELDS)[number];

export function ChangePasswordPage() {
  useDocumentTitle('Change password');
  return <SignedIn>{() => <PasswordForm />}</SignedIn>;
}

/** Accounts created with Google have no password yet: they set one instead of changing it. */
function PasswordForm() {
  const status = trpc.auth.passwordStatus.useQuery();
  if (status.isPending) return <LoadingStatus label="Loading…" />;
  if (status.data?.hasPassword === false) return <SetPasswordForm />;
  return <ChangePasswordForm />;
}

function ChangePasswordForm() {
  const formRef = useRef<HTMLFormElement>(null);
  const [errors, setErrors] = useState<SubmitErrors<Field>>(noErrors);
  const change = trpc.auth.changePassword.useMutation({
    onSuccess: () => formRef.current?.reset(),
    onError: (error) => {
      setErrors(toSubmitErrors(error, FIELDS));
      focusFirstInvalid(formRef.current);
    },
  });

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const currentPassword = String(form.get('currentPassword') ?? '');
    const newPassword = String(form.get('newPassword') ?? '');
    const missing: SubmitErrors<Field> = { fields: {}, form: null };
    if (!currentPassword) missing.fields.currentPassword = 'Enter your current password.';
    if (!newPassword) missing.fields.newPassword = 'Choose a new password.';
    setErrors(missing);
    if (Object.keys(missing.fields).length > 0) return focusFirstInvalid(formRef.current);
    change.mutate({ currentPassword, newPassword });
  };

  return (
    <Card>
      <PageHeading title="Change password" subtitle="Your other sessions will be signed out; this one stays." />
      <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-5">
        {change.isSuccess && (
          <Notice>{`Password changed. ${change.data.revokedSessions === 1 ? '1 other session was' : `${change.data.revokedSessions} other sessions were`} signed out.`}</Notice>
        )}
        {errors.form && <FormAlert error={errors.form} />}
        <TextField label="Current password" name="currentPassword" type="password" autoComplete="current-password" required error={errors.fields.currentPassword} />
        <TextField label="New password" name="newPassword" type="password" autoComplete="new-password" required hint="At least 12 characters." error={errors.fields.newPassword} />
        <Button type="submit" className="w-full" pending={change.isPending} pendingLabel="Saving…">
          Change password
        </Button>
      </form>
      <BackToAccount />
    </Card>
  );
}

import { useRef, useState, type FormEvent } from 'react';
import { FormAlert, Notice } from '../components/alerts.tsx';
import { Button } from '../components/button.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { useStartProvider } from '../components/provider-buttons.tsx';
import { BackToAccount } from '../components/signed-in.tsx';
import { TextField } from '../components/text-field.tsx';
import { isApiError, noErrors, toSubmitErrors, type SubmitErrors } from '../lib/api-error.ts';
import { focusFirstInvalid } from '../lib/focus.ts';
import { trpc } from '../trpc.ts';

const FIELDS = ['newPassword'] as const;

/** For an account created with Google: a first password, within minutes of signing in. */
export function SetPasswordForm() {
  const formRef = useRef<HTMLFormElement>(null);
  const [errors, setErrors] = useState<SubmitErrors<'newPassword'>>(noErrors);
  const { start, pending: leaving } = useStartProvider();
  const set = trpc.auth.setPassword.useMutation({
    // The page keeps this form (and its notice) until it is opened again, then offers "change".
    onSuccess: () => formRef.current?.reset(),
    onError: (error) => {
      setErrors(toSubmitErrors(error, FIELDS));
      focusFirstInvalid(formRef.current);
    },
  });
  const needsSignIn = isApiError(set.error) && set.error.data?.reason === 'reauthentication_required';

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const newPassword = String(new FormData(event.currentTarget).get('newPassword') ?? '');
    if (!newPassword) {
      setErrors({ fields: { newPassword: 'Choose a password.' }, form: null });
      return focusFirstInvalid(formRef.current);
    }
    setErrors(noErrors);
    set.mutate({ newPassword });
  };

  return (
    <Card>
      <PageHeading title="Set a password" subtitle="You sign in with Google. A password lets you sign in without it too, and is needed to disconnect Google." />
      <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-5">
        {set.isSuccess && <Notice>Password set. You can now sign in with your email and password.</Notice>}
        {errors.form && <FormAlert error={errors.form} />}
        {needsSignIn && (
          <Button variant="secondary" className="w-full" pending={leaving} pendingLabel="Opening Google…" onClick={() => start.mutate({ provider: 'google', redirectTo: '/account/password' })}>
            Sign in with Google again
          </Button>
        )}
        <TextField label="New password" name="newPassword" type="password" autoComplete="new-password" required hint="At least 12 characters." error={errors.fields.newPassword} />
        <Button type="submit" className="w-full" pending={set.isPending} pendingLabel="Saving…">
          Set password
        </Button>
      </form>
      <BackToAccount />
    </Card>
  );
}

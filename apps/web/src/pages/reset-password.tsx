import { useRef, useState, type FormEvent } from 'react';
import { FormAlert } from '../components/alerts.tsx';
import { Button } from '../components/button.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { linkClasses } from '../components/signed-in.tsx';
import { TextField } from '../components/text-field.tsx';
import { noErrors, toSubmitErrors, type SubmitErrors } from '../lib/api-error.ts';
import { focusFirstInvalid } from '../lib/focus.ts';
import { Link, navigate } from '../lib/router.tsx';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { useUrlToken } from '../lib/use-url-token.ts';
import { trpc } from '../trpc.ts';

const FIELDS = ['newPassword'] as const;

/** The landing page of the link in the reset email. */
export function ResetPasswordPage() {
  useDocumentTitle('Choose a new password');
  const token = useUrlToken();
  const formRef = useRef<HTMLFormElement>(null);
  const utils = trpc.useUtils();
  const [errors, setErrors] = useState<SubmitErrors<'newPassword'>>(noErrors);
  const reset = trpc.auth.resetPassword.useMutation({
    onSuccess: async () => {
      // Every session ended, this browser's included.
      await utils.auth.me.invalidate();
      navigate('/sign-in', { state: { notice: 'Your password was changed and every session signed out. Sign in with the new password.' } });
    },
    onError: (error) => {
      setErrors(toSubmitErrors(error, FIELDS));
      focusFirstInvalid(formRef.current);
    },
  });

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const newPassword = String(new FormData(event.currentTarget).get('newPassword') ?? '');
    if (!newPassword) {
      setErrors({ fields: { newPassword: 'Choose a new password.' }, form: null });
      return focusFirstInvalid(formRef.current);
    }
    reset.mutate({ token, newPassword });
  };

  return (
    <Card>
      <PageHeading title="Choose a new password" subtitle="All your sessions will be signed out." />
      {!token ? (
        <FormAlert error={{ message: 'This link has no token. Open the link from the email again.' }} />
      ) : (
        <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-5">
          {errors.form && (
            <div className="space-y-2">
              <FormAlert error={errors.form} />
              <Link to="/forgot-password" className={`text-sm ${linkClasses}`}>
                Request a new link
              </Link>
            </div>
          )}
          <TextField label="New password" name="newPassword" type="password" autoComplete="new-password" required hint="At least 12 characters." error={errors.fields.newPassword} />
          <Button type="submit" className="w-full" pending={reset.isPending} pendingLabel="Saving…">
            Set new password
          </Button>
        </form>
      )}
    </Card>
  );
}

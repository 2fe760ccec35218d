import { useRef, useState, type FormEvent } from 'react';
import { FormAlert, Notice } from '../components/alerts.tsx';
import { Button } from '../components/button.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { linkClasses } from '../components/signed-in.tsx';
import { TextField } from '../components/text-field.tsx';
import { noErrors, toSubmitErrors, type SubmitErrors } from '../lib/api-error.ts';
import { focusFirstInvalid } from '../lib/focus.ts';
import { Link } from '../lib/router.tsx';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { trpc } from '../trpc.ts';

const FIELDS = ['email'] as const;

export function ForgotPasswordPage() {
  useDocumentTitle('Reset your password');
  const formRef = useRef<HTMLFormElement>(null);
  const [errors, setErrors] = useState<SubmitErrors<'email'>>(noErrors);
  const request = trpc.auth.requestPasswordReset.useMutation({
    onError: (error) => {
      setErrors(toSubmitErrors(error, FIELDS));
      focusFirstInvalid(formRef.current);
    },
  });

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const email = String(new FormData(event.currentTarget).get('email') ?? '').trim();
    if (!email) {
      setErrors({ fields: { email: 'Enter your email address.' }, form: null });
      return focusFirstInvalid(formRef.current);
    }
    setErrors(noErrors);
    request.mutate({ email });
  };

  return (
    <Card>
      <PageHeading title="Reset your password" subtitle="We will email you a link to choose a new password. Resetting also unlocks a paused sign-in." />
      {request.isSuccess ? (
        <div className="space-y-4">
          <Notice>If an account exists for that address, we sent it a link. It works once and expires in 1 hour.</Notice>
          <Link to="/sign-in" className={`text-sm ${linkClasses}`}>
            Back to sign in
          </Link>
        </div>
      ) : (
        <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-5">
          {errors.form && <FormAlert error={errors.form} />}
          <TextField label="Email" name="email" type="email" autoComplete="email" inputMode="email" required error={errors.fields.email} />
          <Button type="submit" className="w-full" pending={request.isPending} pendingLabel="Sending…">
            Send reset link
          </Button>
          <Link to="/sign-in" className={`text-sm ${linkClasses}`}>
            Back to sign in
          </Link>
        </form>
      )}
    </Card>
  );
}

import { useRef, useState, type FormEvent } from 'react';
import { FormAlert, Notice } from '../components/alerts.tsx';
import { Button } from '../components/button.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { TextField } from '../components/text-field.tsx';
import { noErrors, toSubmitErrors, type SubmitErrors } from '../lib/api-error.ts';
import { focusFirstInvalid } from '../lib/focus.ts';
import { Link, navigate, Redirect, useNavigationState } from '../lib/router.tsx';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { useSession } from '../session.ts';
import { trpc } from '../trpc.ts';

const FIELDS = ['email', 'password'] as const;
type Field = (typeof FIELDS)[number];

export function SignInPage() {
  useDocumentTitle('Sign in');
  const session = useSession();
  const { notice, email: suggestedEmail } = useNavigationState();
  const utils = trpc.useUtils();
  const formRef = useRef<HTMLFormElement>(null);
  const [errors, setErrors] = useState<SubmitErrors<Field>>(noErrors);
  const login = trpc.auth.login.useMutation({
    onSuccess: async ({ user }) => {
      // An `auth.me` still in flight from before sign-in would overwrite the user with its 401.
      await utils.auth.me.cancel();
      // The answer already holds the user: no need to ask `auth.me` again before showing the account.
      utils.auth.me.setData(undefined, { user });
      navigate('/account');
    },
    onError: (error) => {
      setErrors(toSubmitErrors(error, FIELDS));
      focusFirstInvalid(formRef.current);
    },
  });

  if (session.status === 'signed-in') return <Redirect to="/account" />;

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get('email') ?? '').trim();
    const password = String(form.get('password') ?? '');
    const missing: SubmitErrors<Field> = { fields: {}, form: null };
    if (!email) missing.fields.email = 'Enter your email address.';
    if (!password) missing.fields.password = 'Enter your password.';
    setErrors(missing);
    if (Object.keys(missing.fields).length > 0) return focusFirstInvalid(formRef.current);
    login.mutate({ email, password });
  };

  return (
    <Card>
      <PageHeading
        title="Sign in to Bastion"
        subtitle={
          <>
            New here?{' '}
            <Link to="/sign-up" className="font-semibold text-indigo-700 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600">
              Create an account
            </Link>
          </>
        }
      />
      <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-5">
        {notice && !errors.form && <Notice>{notice}</Notice>}
        {errors.form && <FormAlert error={errors.form} />}
        <TextField label="Email" name="email" type="email" autoComplete="email" inputMode="email" required defaultValue={suggestedEmail} error={errors.fields.email} />
        <TextField label="Password" name="password" type="password" autoComplete="current-password" required error={errors.fields.password} />
        <Button type="submit" className="w-full" pending={login.isPending} pendingLabel="Signing in…">
          Sign in
        </Button>
      </form>
    </Card>
  );
}

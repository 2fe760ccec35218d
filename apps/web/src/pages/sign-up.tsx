import { useRef, useState, type FormEvent } from 'react';
import { FormAlert } from '../components/alerts.tsx';
import { ContinueWithProviders } from '../components/provider-buttons.tsx';
import { Button } from '../components/button.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { TextField } from '../components/text-field.tsx';
import { noErrors, toSubmitErrors, type SubmitErrors } from '../lib/api-error.ts';
import { focusFirstInvalid } from '../lib/focus.ts';
import { Link, navigate, Redirect } from '../lib/router.tsx';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { useSession } from '../session.ts';
import { trpc } from '../trpc.ts';

const FIELDS = ['name', 'email', 'password'] as const;
type Field = (typeof FIELDS)[number];

/** Mirrors the server's policy so the common mistake is caught before a round trip. */
const PASSWORD_MIN = 12;

/**
 * The server answers a new and an already registered address alike (the owner of a registered one
 * gets an email instead), so the page cannot and does not say which it was.
 */
const checkInbox = (email: string) => `Check your inbox: we sent an email to ${email}. Follow its link to confirm your address, then sign in.`;

export function SignUpPage() {
  useDocumentTitle('Create account');
  const session = useSession();
  const formRef = useRef<HTMLFormElement>(null);
  const [errors, setErrors] = useState<SubmitErrors<Field>>(noErrors);
  const register = trpc.auth.register.useMutation({
    // Signing in stays a separate, deliberate step: it lets the browser offer to save the password
    // on a real sign-in form and keeps sign-up free of session side effects.
    onSuccess: ({ user }) => navigate('/sign-in', { state: { notice: checkInbox(user.email), email: user.email } }),
    onError: (error) => {
      setErrors(toSubmitErrors(error, FIELDS));
      focusFirstInvalid(formRef.current);
    },
  });

  if (session.status === 'signed-in') return <Redirect to="/contacts" />;

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const name = String(form.get('name') ?? '').trim();
    const email = String(form.get('email') ?? '').trim();
    const password = String(form.get('password') ?? '');
    const invalid: SubmitErrors<Field> = { fields: {}, form: null };
    if (!email) invalid.fields.email = 'Enter your email address.';
    if (password.length < PASSWORD_MIN) invalid.fields.password = `Use at least ${PASSWORD_MIN} characters.`;
    setErrors(invalid);
    if (Object.keys(invalid.fields).length > 0) return focusFirstInvalid(formRef.current);
    register.mutate({ email, password, name: name || undefined });
  };

  return (
    <Card>
      <PageHeading
        title="Create your account"
        subtitle={
          <>
            Already have an account?{' '}
            <Link to="/sign-in" className="font-semibold text-indigo-700 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:text-indigo-300">
              Sign in
            </Link>
          </>
        }
      />
      <ContinueWithProviders redirectTo="/contacts" />
      <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-5">
        {errors.form && <FormAlert error={errors.form} />}
        <TextField label="Name (optional)" name="name" autoComplete="name" maxLength={100} error={errors.fields.name} />
        <TextField label="Email" name="email" type="email" autoComplete="email" inputMode="email" required error={errors.fields.email} />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={PASSWORD_MIN}
          maxLength={128}
          hint={`At least ${PASSWORD_MIN} characters. A long passphrase is easiest to remember; common passwords are refused.`}
          error={errors.fields.password}
        />
        <Button type="submit" className="w-full" pending={register.isPending} pendingLabel="Creating account…">
          Create account
        </Button>
      </form>
    </Card>
  );
}

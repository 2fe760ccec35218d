import type { RouterOutputs } from '@bastion/api';
import { useRef, useState, type FormEvent } from 'react';
import { FormAlert, Notice } from '../components/alerts.tsx';
import { ContinueWithProviders } from '../components/provider-buttons.tsx';
import { Button } from '../components/button.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { TextField } from '../components/text-field.tsx';
import { noErrors, offersPasswordReset, toSubmitErrors, type SubmitErrors } from '../lib/api-error.ts';
import { focusFirstInvalid } from '../lib/focus.ts';
import { Link, navigate, Redirect, useNavigationState, useSearchParams } from '../lib/router.tsx';
import { challengeFromHash, oauthErrorMessage } from '../lib/oauth-errors.ts';
import { safeReturnPath, SIGNED_OUT_MESSAGE } from '../lib/session-end.ts';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { useSession } from '../session.ts';
import { trpc } from '../trpc.ts';

const FIELDS = ['email', 'password'] as const;
type Field = (typeof FIELDS)[number];
const CODE_FIELDS = ['code'] as const;

type SignedIn = Extract<RouterOutputs['auth']['login'], { status: 'authenticated' }>;

export function SignInPage() {
  useDocumentTitle('Sign in');
  const session = useSession();
  const { notice: passedNotice, email: suggestedEmail } = useNavigationState();
  const params = useSearchParams();
  // Back to the page that sent the user here, else to the workspace.
  const destination = safeReturnPath(params.get('next')) ?? '/contacts';
  const notice = passedNotice ?? (params.get('reason') === 'signed_out' ? SIGNED_OUT_MESSAGE : undefined);
  const utils = trpc.useUtils();
  const formRef = useRef<HTMLFormElement>(null);
  const [errors, setErrors] = useState<SubmitErrors<Field>>(noErrors);
  // A provider sign-in lands here with its second factor due (#challenge=…) or with ?error=<reason>.
  const [challengeId, setChallengeId] = useState<string | null>(() => challengeFromHash(window.location.hash));
  const providerError = oauthErrorMessage(useSearchParams().get('error'));
  const signedIn = async ({ user }: SignedIn) => {
    // An `auth.me` still in flight from before sign-in would overwrite the user with its 401.
    await utils.auth.me.cancel();
    // The answer already holds the user: no need to ask `auth.me` again before showing the account.
    utils.auth.me.setData(undefined, { user, permissions: [] });
    // Staff roles carry permissions the sign-in answer does not list: those are asked for.
    if (user.role !== 'user') void utils.auth.me.invalidate();
    navigate(destination);
  };
  const login = trpc.auth.login.useMutation({
    onSuccess: async (result) => {
      if (result.status === 'two_factor_required') setChallengeId(result.challengeId);
      else await signedIn(result);
    },
    onError: (error) => {
      setErrors(toSubmitErrors(error, FIELDS));
      focusFirstInvalid(formRef.current);
    },
  });

  if (session.status === 'signed-in') return <Redirect to={destination} />;
  if (challengeId) {
    const restart = () => {
      setChallengeId(null);
      if (window.location.hash) navigate('/sign-in', { replace: true });
    };
    return <TwoFactorStep challengeId={challengeId} onSignedIn={signedIn} onRestart={restart} />;
  }

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
            <Link to="/sign-up" className="font-semibold text-indigo-700 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:text-indigo-300">
              Create an account
            </Link>
          </>
        }
      />
      {providerError && !errors.form && (
        <div className="mb-5">
          <FormAlert error={{ message: providerError }} />
        </div>
      )}
      <ContinueWithProviders redirectTo={destination} />
      <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-5">
        {notice && !errors.form && <Notice>{notice}</Notice>}
        {errors.form && <FormAlert error={errors.form} />}
        {errors.form && offersPasswordReset(login.error) && (
          <Link to="/forgot-password" className="inline-block text-sm font-semibold text-indigo-700 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:text-indigo-300">
            Reset your password to sign in now
          </Link>
        )}
        <TextField label="Email" name="email" type="email" autoComplete="email" inputMode="email" required defaultValue={suggestedEmail} error={errors.fields.email} />
        <TextField label="Password" name="password" type="password" autoComplete="current-password" required error={errors.fields.password} />
        <Button type="submit" className="w-full" pending={login.isPending} pendingLabel="Signing in…">
          Sign in
        </Button>
        <Link to="/forgot-password" className="inline-block text-sm font-semibold text-indigo-700 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:text-indigo-300">
          Forgot your password?
        </Link>
      </form>
    </Card>
  );
}

/** Step two when two-factor authentication is on: a code from the app, or a recovery code. */
function TwoFactorStep({ challengeId, onSignedIn, onRestart }: { challengeId: string; onSignedIn: (result: SignedIn) => Promise<void>; onRestart: () => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const [errors, setErrors] = useState<SubmitErrors<'code'>>(noErrors);
  const verify = trpc.auth.login2fa.useMutation({
    onSuccess: async (result) => {
      if (result.status === 'authenticated') await onSignedIn(result);
    },
    onError: (error) => {
      if (error.data?.code === 'UNAUTHORIZED' && error.data.reason === 'invalid_two_factor_code') {
        setErrors({ fields: { code: error.message }, form: null });
      } else {
        setErrors(toSubmitErrors(error, CODE_FIELDS));
      }
      focusFirstInvalid(formRef.current);
    },
  });
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const code = String(new FormData(event.currentTarget).get('code') ?? '').trim();
    if (!code) {
      setErrors({ fields: { code: 'Enter the code from your app or a recovery code.' }, form: null });
      return focusFirstInvalid(formRef.current);
    }
    verify.mutate({ challengeId, code });
  };
  return (
    <Card>
      <PageHeading title="Two-factor authentication" subtitle="Enter the 6-digit code from your authenticator app, or one of your recovery codes." />
      <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-5">
        {errors.form && <FormAlert error={errors.form} />}
        <TextField label="Code" name="code" autoComplete="one-time-code" inputMode="text" autoFocus required error={errors.fields.code} />
        <Button type="submit" className="w-full" pending={verify.isPending} pendingLabel="Checking…">
          Verify
        </Button>
        <button type="button" onClick={onRestart} className="text-sm font-semibold text-indigo-700 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:text-indigo-300">
          Start over
        </button>
      </form>
    </Card>
  );
}

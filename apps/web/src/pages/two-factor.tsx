import { useRef, useState, type FormEvent } from 'react';
import { FormAlert, Notice } from '../components/alerts.tsx';
import { Button } from '../components/button.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { BackToAccount, SignedIn } from '../components/signed-in.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { useToast } from '../components/toast.tsx';
import { downloadText } from '../lib/download.ts';
import { TextField } from '../components/text-field.tsx';
import { noErrors, toSubmitErrors, type SubmitErrors } from '../lib/api-error.ts';
import { focusFirstInvalid } from '../lib/focus.ts';
import { Link } from '../lib/router.tsx';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import type { User } from '../session.ts';
import { trpc } from '../trpc.ts';

export function TwoFactorPage() {
  useDocumentTitle('Two-factor authentication');
  return <SignedIn>{(user) => <TwoFactor user={user} />}</SignedIn>;
}

function TwoFactor({ user }: { user: User }) {
  const status = trpc.auth.twoFactor.status.useQuery();
  const [shownCodes, setShownCodes] = useState<string[] | null>(null);
  return (
    <Card wide>
      <PageHeading title="Two-factor authentication" subtitle="A code from an authenticator app, in addition to your password, each time you sign in." />
      {status.isPending && <LoadingStatus label="Loading…" />}
      {status.isError && <FormAlert error={{ message: 'The settings could not be loaded. Reload the page to try again.' }} />}
      {shownCodes ? (
        <RecoveryCodes codes={shownCodes} onDone={() => setShownCodes(null)} />
      ) : (
        status.data &&
        (status.data.enabled ? (
          <Enabled remaining={status.data.recoveryCodesRemaining} onNewCodes={setShownCodes} />
        ) : !user.emailVerified ? (
          <p className="text-sm text-slate-700 dark:text-gray-300">
            Confirm your email address first: use the link we sent you, or ask for a new one on{' '}
            <Link to="/account" className="font-semibold text-indigo-700 underline dark:text-indigo-300">
              your account page
            </Link>
            .
          </p>
        ) : (
          <Setup onEnabled={setShownCodes} />
        ))
      )}
      <BackToAccount />
    </Card>
  );
}

/**
 * Setting up needs the current password, not just the session (a stolen session must not be able to
 * tie the account to someone else's app). It is asked once and sent with both steps.
 */
function Setup({ onEnabled }: { onEnabled: (codes: string[]) => void }) {
  const utils = trpc.useUtils();
  const startRef = useRef<HTMLFormElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const password = useRef('');
  const [startErrors, setStartErrors] = useState<SubmitErrors<'password'>>(noErrors);
  const [errors, setErrors] = useState<SubmitErrors<'code'>>(noErrors);
  const setup = trpc.auth.twoFactor.setup.useMutation({
    onError: (error) => {
      setStartErrors(toSubmitErrors(error, ['password'] as const));
      focusFirstInvalid(startRef.current);
    },
  });
  const enable = trpc.auth.twoFactor.enable.useMutation({
    onSuccess: async ({ recoveryCodes }) => {
      password.current = '';
      onEnabled(recoveryCodes);
      await utils.auth.twoFactor.status.invalidate();
    },
    onError: (error) => {
      setErrors(toSubmitErrors(error, ['code'] as const));
      focusFirstInvalid(formRef.current);
    },
  });

  if (!setup.data) {
    const onStart = (event: FormEvent<HTMLFormElement>) => {
      event.preventDefault();
      const entered = String(new FormData(event.currentTarget).get('password') ?? '');
      if (!entered) {
        setStartErrors({ fields: { password: 'Enter your current password.' }, form: null });
        return focusFirstInvalid(startRef.current);
      }
      setStartErrors(noErrors);
      password.current = entered;
      setup.mutate({ password: entered });
    };
    return (
      <form ref={startRef} noValidate onSubmit={onStart} className="space-y-4">
        <p className="text-sm text-slate-700 dark:text-gray-300">Two-factor authentication is off. You need an authenticator app such as 1Password, Google Authenticator or Aegis.</p>
        {startErrors.form && <FormAlert error={startErrors.form} />}
        <TextField
          label="Current password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          error={startErrors.fields.password}
          hint="To confirm it is you before your account is tied to an authenticator app."
        />
        <Button type="submit" pending={setup.isPending} pendingLabel="Preparing…">
          Set up two-factor authentication
        </Button>
      </form>
    );
  }

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const code = String(new FormData(event.currentTarget).get('code') ?? '').replace(/\s/g, '');
    if (!/^\d{6}$/.test(code)) {
      setErrors({ fields: { code: 'Enter the 6-digit code from your app.' }, form: null });
      return focusFirstInvalid(formRef.current);
    }
    enable.mutate({ password: password.current, code });
  };

  return (
    <div className="space-y-5">
      <ol className="list-decimal space-y-2 pl-5 text-sm text-slate-700 dark:text-gray-300">
        <li>Scan this QR code with your authenticator app.</li>
        <li>Enter the 6-digit code the app shows.</li>
      </ol>
      <img src={setup.data.qrCodeDataUrl} alt="QR code to add Bastion to your authenticator app" className="size-48 rounded-lg ring-1 ring-slate-200 dark:ring-gray-700" />
      <p className="text-sm text-slate-700 dark:text-gray-300">
        Cannot scan? Enter this key by hand:{' '}
        <code data-testid="totp-secret" className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs break-all dark:bg-gray-800">
          {setup.data.secret}
        </code>
      </p>
      <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-4">
        {errors.form && <FormAlert error={errors.form} />}
        <TextField label="Code from the app" name="code" inputMode="numeric" autoComplete="one-time-code" required error={errors.fields.code} />
        <Button type="submit" pending={enable.isPending} pendingLabel="Checking…">
          Turn on
        </Button>
      </form>
    </div>
  );
}

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const toast = useToast();
  const text = `Bastion recovery codes (each works once)\n\n${codes.join('\n')}\n`;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      toast('Recovery codes copied.');
    } catch {
      toast('Copying failed: download the codes or write them down.', 'error');
    }
  };
  return (
    <div className="space-y-4">
      <Notice>Two-factor authentication is on. Save these recovery codes now: they are shown only once.</Notice>
      <p className="text-sm text-slate-700 dark:text-gray-300">Each code signs you in once if you lose your phone. Keep them somewhere safe, such as a password manager.</p>
      <ul aria-label="Recovery codes" className="grid grid-cols-2 gap-2 rounded-lg bg-slate-50 p-4 font-mono text-sm dark:bg-gray-800">
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ul>
      <div className="flex flex-wrap gap-2">
        <Button variant="secondary" onClick={() => void copy()}>
          Copy codes
        </Button>
        <Button variant="secondary" onClick={() => downloadText('bastion-recovery-codes.txt', text)}>
          Download codes
        </Button>
      </div>
      <Button onClick={onDone}>I have saved my codes</Button>
    </div>
  );
}

function Enabled({ remaining, onNewCodes }: { remaining: number; onNewCodes: (codes: string[]) => void }) {
  const utils = trpc.useUtils();
  const disableRef = useRef<HTMLFormElement>(null);
  const regenerateRef = useRef<HTMLFormElement>(null);
  const [disableErrors, setDisableErrors] = useState<SubmitErrors<'password' | 'code'>>(noErrors);
  const [regenerateErrors, setRegenerateErrors] = useState<SubmitErrors<'code'>>(noErrors);
  const disable = trpc.auth.twoFactor.disable.useMutation({
    onSuccess: () => utils.auth.twoFactor.status.invalidate(),
    onError: (error) => {
      setDisableErrors(toSubmitErrors(error, ['password', 'code'] as const));
      focusFirstInvalid(disableRef.current);
    },
  });
  const regenerate = trpc.auth.twoFactor.regenerateRecoveryCodes.useMutation({
    onSuccess: async ({ recoveryCodes }) => {
      onNewCodes(recoveryCodes);
      await utils.auth.twoFactor.status.invalidate();
    },
    onError: (error) => {
      setRegenerateErrors(toSubmitErrors(error, ['code'] as const));
      focusFirstInvalid(regenerateRef.current);
    },
  });
  const field = (event: FormEvent<HTMLFormElement>, name: string) => String(new FormData(event.currentTarget).get(name) ?? '').trim();

  return (
    <div className="space-y-8">
      <p className="text-sm text-slate-700 dark:text-gray-300">
        Two-factor authentication is <strong>on</strong>. {remaining} of 10 recovery codes left.
      </p>
      <form
        ref={regenerateRef}
        noValidate
        className="space-y-4"
        aria-labelledby="regenerate-title"
        onSubmit={(event) => {
          event.preventDefault();
          const code = field(event, 'code');
          if (!code) return setRegenerateErrors({ fields: { code: 'Enter a code from your app.' }, form: null });
          regenerate.mutate({ code });
        }}
      >
        <h2 id="regenerate-title" className="text-base font-semibold text-slate-900 dark:text-gray-100">
          New recovery codes
        </h2>
        {regenerateErrors.form && <FormAlert error={regenerateErrors.form} />}
        <TextField label="Code from the app" name="code" autoComplete="one-time-code" error={regenerateErrors.fields.code} hint="Your current recovery codes stop working." />
        <Button type="submit" variant="secondary" pending={regenerate.isPending} pendingLabel="Creating…">
          Create new recovery codes
        </Button>
      </form>
      <form
        ref={disableRef}
        noValidate
        className="space-y-4"
        aria-labelledby="disable-title"
        onSubmit={(event) => {
          event.preventDefault();
          const password = String(new FormData(event.currentTarget).get('password') ?? '');
          const code = field(event, 'code');
          const missing: SubmitErrors<'password' | 'code'> = { fields: {}, form: null };
          if (!password) missing.fields.password = 'Enter your password.';
          if (!code) missing.fields.code = 'Enter a code from your app or a recovery code.';
          setDisableErrors(missing);
          if (Object.keys(missing.fields).length > 0) return focusFirstInvalid(disableRef.current);
          disable.mutate({ password, code });
        }}
      >
        <h2 id="disable-title" className="text-base font-semibold text-slate-900 dark:text-gray-100">
          Turn off
        </h2>
        {disableErrors.form && <FormAlert error={disableErrors.form} />}
        <TextField label="Password" name="password" type="password" autoComplete="current-password" error={disableErrors.fields.password} />
        <TextField label="Code or recovery code" name="code" autoComplete="one-time-code" error={disableErrors.fields.code} />
        <Button type="submit" variant="secondary" pending={disable.isPending} pendingLabel="Turning off…">
          Turn off two-factor authentication
        </Button>
      </form>
    </div>
  );
}

import { GoToAccount, TokenLinkPage } from '../components/token-link-page.tsx';
import { trpc } from '../trpc.ts';

/** The landing page of the link in the verification email. */
export function VerifyEmailPage() {
  const utils = trpc.useUtils();
  const verify = trpc.auth.verifyEmail.useMutation({ onSuccess: () => utils.auth.me.invalidate() });
  return (
    <TokenLinkPage
      title="Confirm your email"
      pending="Confirming your email address…"
      mutation={verify}
      success={() => 'Your email address is confirmed. Thank you!'}
      next={<GoToAccount />}
    />
  );
}

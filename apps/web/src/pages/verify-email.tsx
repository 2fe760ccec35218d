import { linkClasses } from '../components/signed-in.tsx';
import { TokenLinkPage } from '../components/token-link-page.tsx';
import { Link } from '../lib/router.tsx';
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
      next={
        <p className="text-sm">
          <Link to="/account" className={linkClasses}>
            Go to your account
          </Link>
        </p>
      }
    />
  );
}

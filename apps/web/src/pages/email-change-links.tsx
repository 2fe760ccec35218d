import { linkClasses } from '../components/signed-in.tsx';
import { GoToAccount, TokenLinkPage } from '../components/token-link-page.tsx';
import { Link } from '../lib/router.tsx';
import { trpc } from '../trpc.ts';

/** The link mailed to the new address. */
export function ConfirmEmailChangePage() {
  const utils = trpc.useUtils();
  const confirm = trpc.auth.confirmEmailChange.useMutation({ onSuccess: () => utils.auth.me.invalidate() });
  return (
    <TokenLinkPage
      title="Confirm your new email"
      pending="Changing your email address…"
      mutation={confirm}
      success={({ email }) => `Done: your account’s email address is now ${email}. Sign in with it from now on.`}
      next={<GoToAccount />}
    />
  );
}

/** The link mailed to the old address after a change: gives the account its address back. */
export function UndoEmailChangePage() {
  const queryClient = trpc.useUtils();
  const undo = trpc.auth.undoEmailChange.useMutation({ onSuccess: () => queryClient.invalidate() });
  return (
    <TokenLinkPage
      title="Undo the email change"
      pending="Restoring your email address…"
      mutation={undo}
      success={({ email }) => `Your account’s email address is ${email} again, and every session was signed out. If you did not make the change, reset your password now.`}
      next={
        <p className="flex flex-wrap gap-4 text-sm">
          <Link to="/forgot-password" className={linkClasses}>
            Reset your password
          </Link>
          <Link to="/sign-in" className={linkClasses}>
            Sign in
          </Link>
        </p>
      }
    />
  );
}

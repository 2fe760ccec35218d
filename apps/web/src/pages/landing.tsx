import { buttonClasses } from '../components/button.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { Link, Redirect } from '../lib/router.tsx';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { useSession } from '../session.ts';

const FEATURES = [
  { title: 'Passwords done right', text: 'Hashed with Argon2id and checked against common-password lists.' },
  { title: 'Sessions you can trust', text: 'Short-lived tokens in http-only cookies, rotated on every refresh.' },
  { title: 'Nothing to leak', text: 'Your browser never hands tokens to scripts, so injected code cannot steal them.' },
];

export function LandingPage() {
  useDocumentTitle('Welcome');
  const session = useSession();

  if (session.status === 'signed-in') return <Redirect to="/account" />;
  // Holding the page back avoids flashing the welcome screen at someone who is about to be redirected.
  if (session.status === 'loading') return <LoadingStatus label="Checking your session…" />;

  return (
    <div className="w-full max-w-3xl space-y-12 text-center">
      <div className="space-y-6">
        <h1 tabIndex={-1} className="text-4xl font-bold tracking-tight text-balance text-slate-900 focus:outline-none sm:text-5xl dark:text-gray-100">
          Your account, <span className="text-indigo-600 dark:text-indigo-300">secured.</span>
        </h1>
        <p className="mx-auto max-w-xl text-lg text-pretty text-slate-600 dark:text-gray-400">
          Bastion is the sign-in you do not have to think about: careful with your password, strict with your session.
        </p>
        <div className="flex flex-col justify-center gap-3 sm:flex-row">
          <Link to="/sign-up" className={buttonClasses('primary')}>
            Create account
          </Link>
          <Link to="/sign-in" className={buttonClasses('secondary')}>
            Sign in
          </Link>
        </div>
      </div>
      <ul className="grid gap-4 text-left sm:grid-cols-3">
        {FEATURES.map((feature) => (
          <li key={feature.title} className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200 dark:bg-gray-900 dark:ring-gray-700">
            <h2 className="font-semibold text-slate-900 dark:text-gray-100">{feature.title}</h2>
            <p className="mt-1 text-sm text-slate-600 dark:text-gray-400">{feature.text}</p>
          </li>
        ))}
      </ul>
    </div>
  );
}

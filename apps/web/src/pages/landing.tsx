import { buttonClasses } from '../components/button.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { Link, Redirect } from '../lib/router.tsx';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { useSession } from '../session.ts';

const FEATURES = [
  { title: 'Your contacts', text: 'One place for the people you work with: search, tags, notes, import and export as CSV.' },
  { title: 'An assistant', text: 'Ask questions and draft messages in a chat that streams its answers as it writes.' },
  { title: 'Security you can see', text: 'Two-factor sign-in, every session listed and revocable, and a log of what happened to your account.' },
];

export function LandingPage() {
  useDocumentTitle('Welcome');
  const session = useSession();

  if (session.status === 'signed-in') return <Redirect to="/contacts" />;
  // Holding the page back avoids flashing the welcome screen at someone who is about to be redirected.
  if (session.status === 'loading') return <LoadingStatus label="Checking your session…" />;

  return (
    <div className="w-full max-w-3xl space-y-12 text-center">
      <div className="space-y-6">
        <h1 tabIndex={-1} className="text-4xl font-bold tracking-tight text-balance text-slate-900 focus:outline-none sm:text-5xl dark:text-gray-100">
          Your contacts and an assistant, <span className="text-indigo-600 dark:text-indigo-300">secured.</span>
        </h1>
        <p className="mx-auto max-w-xl text-lg text-pretty text-slate-600 dark:text-gray-400">
          Bastion keeps the people you work with in one workspace, with an assistant beside it — behind a sign-in that is careful with your password and strict with your session.
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

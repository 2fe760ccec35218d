import { useId, useMemo, type ReactNode } from 'react';
import type { RouterOutputs } from '@bastion/api';
import { FormAlert } from '../components/alerts.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { effectivePreferences } from '../components/preferences-sync.tsx';
import { BackToAccount, SignedIn } from '../components/signed-in.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { useToast } from '../components/toast.tsx';
import { formatDateTime } from '../lib/format.ts';
import { setDisplayPreferences, type Theme } from '../lib/preferences.ts';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { trpc } from '../trpc.ts';

type Preferences = RouterOutputs['preferences']['get'];

const THEMES: { value: Theme; label: string }[] = [
  { value: 'system', label: 'Same as this device' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

const LOCALES = ['en-US', 'en-GB', 'de-DE', 'es-ES', 'fr-FR', 'it-IT', 'ja-JP', 'nl-NL', 'pl-PL', 'pt-BR', 'sv-SE', 'zh-CN'];

const SELECT =
  'block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-base text-slate-900 shadow-xs focus:border-indigo-600 focus:outline-2 focus:outline-indigo-600 sm:text-sm dark:border-gray-700 dark:bg-gray-800 dark:text-gray-100';

export function PreferencesPage() {
  useDocumentTitle('Preferences');
  return <SignedIn>{() => <PreferencesForm />}</SignedIn>;
}

function PreferencesForm() {
  const utils = trpc.useUtils();
  const toast = useToast();
  const preferences = trpc.preferences.get.useQuery();
  const update = trpc.preferences.update.useMutation({
    // Shown at once (the controls included), then confirmed or rolled back by the answer.
    onMutate: (saved) => {
      const previous = utils.preferences.get.getData();
      if (previous) utils.preferences.get.setData(undefined, { ...previous, ...saved, updatedAt: previous.updatedAt ?? new Date().toISOString() });
      return previous;
    },
    onSuccess: (saved) => {
      utils.preferences.get.setData(undefined, saved);
      toast('Preferences saved.');
    },
    onError: (_error, _patch, previous) => {
      // Back to what the server holds: the change was shown before it was saved.
      if (previous) {
        utils.preferences.get.setData(undefined, previous);
        setDisplayPreferences(effectivePreferences(previous));
      }
      toast('Your preferences could not be saved. Try again.', 'error');
    },
  });
  const timeZones = useMemo(() => Intl.supportedValuesOf('timeZone'), []);

  if (preferences.isPending) {
    return (
      <Card wide>
        <LoadingStatus label="Loading your preferences…" />
      </Card>
    );
  }
  if (preferences.isError) {
    return (
      <Card wide>
        <PageHeading title="Preferences" />
        <FormAlert error={{ message: 'Your preferences could not be loaded. Reload the page to try again.' }} />
      </Card>
    );
  }

  const shown = effectivePreferences(preferences.data);
  /** Applied at once, then saved; the first save also stores the zone and language shown (the browser's). */
  const change = (patch: Partial<Pick<Preferences, 'theme' | 'timeZone' | 'locale' | 'emailNotifications'>>) => {
    const next = { ...shown, ...patch };
    setDisplayPreferences({ theme: next.theme, timeZone: next.timeZone, locale: next.locale });
    update.mutate(preferences.data.updatedAt === null ? { timeZone: shown.timeZone, locale: shown.locale, ...patch } : patch);
  };
  const locales = LOCALES.includes(shown.locale) ? LOCALES : [shown.locale, ...LOCALES];
  const zones = timeZones.includes(shown.timeZone) ? timeZones : [shown.timeZone, ...timeZones];
  const languageNames = new Intl.DisplayNames([shown.locale], { type: 'language' });

  return (
    <Card wide>
      <PageHeading title="Preferences" subtitle="How Bastion looks and speaks to you. Changes apply at once, on every device you sign in on." />
      <div className="space-y-6">
        <fieldset>
          <legend className="mb-2 text-sm font-medium text-slate-800 dark:text-gray-200">Theme</legend>
          <div className="grid gap-2 sm:grid-cols-3">
            {THEMES.map((theme) => (
              <label
                key={theme.value}
                className="flex min-h-11 cursor-pointer items-center gap-2 rounded-lg px-3 text-sm text-slate-800 ring-1 ring-slate-300 has-checked:bg-indigo-50 has-checked:ring-2 has-checked:ring-indigo-600 has-focus-visible:outline-2 has-focus-visible:outline-indigo-600 dark:text-gray-100 dark:ring-gray-700 dark:has-checked:bg-indigo-950 dark:has-checked:ring-indigo-400"
              >
                <input type="radio" name="theme" value={theme.value} checked={shown.theme === theme.value} onChange={() => change({ theme: theme.value })} className="size-4 accent-indigo-600" />
                {theme.label}
              </label>
            ))}
          </div>
        </fieldset>
        <Field label="Time zone" hint={`Times are shown like this: ${formatDateTime(new Date().toISOString())}`}>
          {(id, hintId) => (
            <select id={id} aria-describedby={hintId} className={SELECT} value={shown.timeZone} onChange={(event) => change({ timeZone: event.target.value })}>
              {zones.map((zone) => (
                <option key={zone} value={zone}>
                  {zone.replaceAll('_', ' ')}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Language and region" hint="Used for dates, times and numbers.">
          {(id, hintId) => (
            <select id={id} aria-describedby={hintId} className={SELECT} value={shown.locale} onChange={(event) => change({ locale: event.target.value })}>
              {locales.map((locale) => (
                <option key={locale} value={locale}>
                  {languageNames.of(locale) ?? locale}
                </option>
              ))}
            </select>
          )}
        </Field>
        <label className="flex min-h-11 items-start gap-3 text-sm text-slate-800 dark:text-gray-100">
          <input
            type="checkbox"
            checked={preferences.data.emailNotifications}
            onChange={(event) => change({ emailNotifications: event.target.checked })}
            className="mt-0.5 size-4 accent-indigo-600"
          />
          <span>
            <span className="block font-medium">Email notifications</span>
            <span className="block text-slate-500 dark:text-gray-400">News about your account that is not about its security. Security alerts are always sent.</span>
          </span>
        </label>
        <p className="sr-only" aria-live="polite">
          {update.isPending ? 'Saving…' : ''}
        </p>
      </div>
      <BackToAccount />
    </Card>
  );
}

function Field({ label, hint, children }: { label: string; hint: string; children: (id: string, hintId: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="space-y-1.5">
      <label htmlFor={id} className="block text-sm font-medium text-slate-800 dark:text-gray-200">
        {label}
      </label>
      {children(id, `${id}-hint`)}
      <p id={`${id}-hint`} className="text-sm text-slate-500 dark:text-gray-400">
        {hint}
      </p>
    </div>
  );
}

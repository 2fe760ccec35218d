import { useEffect } from 'react';
import type { RouterOutputs } from '@bastion/api';
import { followSystemTheme, setDisplayPreferences } from '../lib/preferences.ts';
import { useSession } from '../session.ts';
import { trpc } from '../trpc.ts';

type Preferences = RouterOutputs['preferences']['get'];

/**
 * What the server stores until the user first picks: "UTC" and "en" would be a worse guess than
 * the browser's own zone and language, so those apply until a preference is saved.
 */
export function effectivePreferences(preferences: Preferences) {
  const chosen = preferences.updatedAt !== null;
  return {
    theme: preferences.theme,
    timeZone: chosen ? preferences.timeZone : Intl.DateTimeFormat().resolvedOptions().timeZone,
    locale: chosen ? preferences.locale : navigator.language,
  };
}

/** Applies the signed-in user's preferences (from the server) in this browser, and keeps them applied. */
export function PreferencesSync() {
  const session = useSession();
  const preferences = trpc.preferences.get.useQuery(undefined, { enabled: session.status === 'signed-in' });
  useEffect(() => followSystemTheme(), []);
  useEffect(() => {
    if (preferences.data) setDisplayPreferences(effectivePreferences(preferences.data));
  }, [preferences.data]);
  return null;
}

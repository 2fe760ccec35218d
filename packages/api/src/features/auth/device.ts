import Bowser from 'bowser';

/** A short human label for a user agent, e.g. "Chrome 120 on Linux"; raw agents are not shown. */
export function describeDevice(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const { browser, os, platform } = Bowser.parse(userAgent);
  const major = browser.version?.split('.')[0];
  const client = browser.name ? [browser.name, major].filter(Boolean).join(' ') : null;
  const system = os.name ? [os.name, os.version].filter(Boolean).join(' ') : null;
  const kind = platform.type === 'mobile' || platform.type === 'tablet' ? ` (${platform.type})` : '';
  if (client && system) return `${client} on ${system}${kind}`;
  if (client ?? system) return `${client ?? system}${kind}`;
  return 'Unknown device';
}

import { UAParser } from 'ua-parser-js';

/** A short human label for a user agent, e.g. "Chrome 120 on Linux"; raw agents are not shown. */
export function describeDevice(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const { browser, os, device } = UAParser(userAgent);
  const client = browser.name ? [browser.name, browser.major].filter(Boolean).join(' ') : null;
  const system = os.name ? [os.name, os.version].filter(Boolean).join(' ') : null;
  const kind = device.type === 'mobile' || device.type === 'tablet' ? ` (${device.type})` : '';
  if (client && system) return `${client} on ${system}${kind}`;
  if (client ?? system) return `${client ?? system}${kind}`;
  return 'Unknown device';
}

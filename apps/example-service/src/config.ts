export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface DigestConfig {
  baseUrl: string;
  /** An API key (`bst_…`, preferred) or, for a quick try, a user's access token. */
  credential: { apiKey: string } | { accessToken: string };
  /** How many of the newest contacts the digest lists. */
  newest: number;
  /** Where the JSON digest is written; stdout gets the text either way. */
  outputPath?: string;
  timeoutMs?: number;
}

/** The service's whole configuration, from its environment; fails with every problem at once. */
export function readConfig(env: Record<string, string | undefined>): DigestConfig {
  const problems: string[] = [];
  const baseUrl = env.BASTION_URL?.trim() ?? '';
  if (!/^https?:\/\/[^\s]+$/.test(baseUrl)) problems.push('BASTION_URL must be the API base URL (http:// or https://)');

  const apiKey = env.BASTION_API_KEY?.trim();
  const accessToken = env.BASTION_ACCESS_TOKEN?.trim();
  if (apiKey && !apiKey.startsWith('bst_')) problems.push('BASTION_API_KEY must be a Bastion API key (bst_…)');
  if (!apiKey && !accessToken) problems.push('set BASTION_API_KEY (or BASTION_ACCESS_TOKEN)');

  const newest = integer(env.DIGEST_NEWEST, 5, 1, 100, 'DIGEST_NEWEST', problems);
  const timeoutMs = env.BASTION_TIMEOUT_MS === undefined ? undefined : integer(env.BASTION_TIMEOUT_MS, 10_000, 100, 300_000, 'BASTION_TIMEOUT_MS', problems);
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);

  return {
    baseUrl,
    credential: apiKey ? { apiKey } : { accessToken: accessToken ?? '' },
    newest,
    outputPath: env.DIGEST_OUTPUT?.trim() || undefined,
    timeoutMs,
  };
}

function integer(raw: string | undefined, fallback: number, min: number, max: number, name: string, problems: string[]): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) problems.push(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

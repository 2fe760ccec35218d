import { timingSafeEqual } from 'node:crypto';
import { secretKey, signatureOf } from './signature.ts';

/** Standard Webhooks' tolerance, both ways: older is a replay, newer is a clock problem. */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

export type VerificationFailure = 'missing_headers' | 'bad_timestamp' | 'timestamp_out_of_tolerance' | 'bad_signature' | 'bad_payload';

export class WebhookVerificationError extends Error {
  readonly reason: VerificationFailure;
  constructor(reason: VerificationFailure, message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
    this.reason = reason;
  }
}

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const value = record[name] ?? Object.entries(record).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value[0] : value;
}

export interface VerifiedWebhook {
  id: string;
  timestamp: number;
  /** The body parsed as JSON, after the signature over its raw bytes was checked. */
  payload: unknown;
}

/**
 * Verifies an incoming Standard Webhooks request: the signature must cover the raw bytes as
 * received (never re-serialized JSON), any one `v1,` signature under any one of `secrets` (the
 * sender's rotation overlap) is enough, compared in constant time, and the timestamp must be within
 * 5 minutes of now either way.
 */
export function verifyWebhook(rawBody: Buffer | string, headers: HeaderSource, secrets: readonly string[], now = Date.now()): VerifiedWebhook {
  const id = header(headers, 'webhook-id');
  const timestampText = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || id.length > 256 || !timestampText || !signatures) throw new WebhookVerificationError('missing_headers', 'webhook-id, webhook-timestamp and webhook-signature are required');
  if (!/^\d{1,12}$/.test(timestampText)) throw new WebhookVerificationError('bad_timestamp', 'webhook-timestamp must be whole seconds');
  const timestamp = Number(timestampText);
  if (Math.abs(Math.floor(now / 1000) - timestamp) > TIMESTAMP_TOLERANCE_SECONDS) {
    throw new WebhookVerificationError('timestamp_out_of_tolerance', 'webhook-timestamp is more than 5 minutes away from now');
  }
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody) : rawBody;
  const offered = signatures
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  const valid = secrets.some((secret) => {
    const expected = Buffer.from(signatureOf(secretKey(secret), id, timestamp, body), 'base64');
    // Every offered signature is compared (no early exit on the first mismatch's position).
    return offered.map((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected)).includes(true);
  });
  if (!valid) throw new WebhookVerificationError('bad_signature', 'no valid signature');
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    throw new WebhookVerificationError('bad_payload', 'the signed body is not JSON');
  }
  return { id, timestamp, payload };
}

import { Agent, fetch } from 'undici';
import { schema } from '@bastion/db';
import { guardedLookup, parseEndpointUrl, systemResolver, UnsafeUrlError, type Resolver, type UrlPolicy } from './ssrf-guard.ts';

/** Success is a 2xx within this long (headers and body). */
export const ATTEMPT_TIMEOUT_MS = 15_000;
/** What is read of a receiver's response; the rest is discarded unread. */
export const RESPONSE_READ_LIMIT = 64 * 1024;

export interface AttemptResult {
  ok: boolean;
  /** Null when no response arrived (refused, unreachable, timed out). */
  status: number | null;
  /** At most 1 KB of the response body, or what went wrong when there was no response. */
  excerpt: string | null;
  durationMs: number;
  /** The receiver's `Retry-After`, in seconds, when it sent one. */
  retryAfterSeconds: number | null;
}

export interface WebhookSender {
  send(request: { url: string; body: string; headers: Record<string, string> }): Promise<AttemptResult>;
  close(): Promise<void>;
}

/** UTF-8 text of at most `limit` bytes, never cut inside a character; no NULs (Postgres text). */
export function excerptOf(bytes: Uint8Array, limit: number = schema.WEBHOOK_LIMITS.responseExcerpt): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, limit), { stream: true }).replaceAll('\0', '');
  let result = text;
  while (Buffer.byteLength(result) > limit) result = result.slice(0, -1);
  return result;
}

export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d{1,9}$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

async function readCapped(body: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> } } | null): Promise<Uint8Array> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < RESPONSE_READ_LIMIT) {
    const { done, value } = await reader.read();
    if (done || !value) break;
    chunks.push(value);
    size += value.byteLength;
  }
  // Whatever is left is not read: cancelling closes the stream (and the connection, if needed).
  await reader.cancel().catch(() => {});
  return Buffer.concat(chunks).subarray(0, RESPONSE_READ_LIMIT);
}

function describeFailure(error: unknown): string {
  for (let cause: unknown = error; cause; cause = (cause as { cause?: unknown }).cause) {
    if (cause instanceof UnsafeUrlError || (cause as { code?: string }).code === 'EWEBHOOKREFUSED') {
      return 'Refused: the host resolved to a private or reserved address.';
    }
    const name = (cause as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') return `No response within ${ATTEMPT_TIMEOUT_MS / 1000} s.`;
    const code = (cause as { code?: string }).code;
    if (code && /^E[A-Z_]+$/.test(code)) return `Connection failed (${code}).`;
  }
  return 'Connection failed.';
}

/**
 * Sends one attempt through the SSRF guard: the URL's static checks, then a connection whose
 * lookup refuses non-public addresses; redirects are never followed (a 3xx is a failure), the
 * response is read up to 64 KB, and the whole exchange is bounded by 15 s.
 */
export function createWebhookSender(policy: UrlPolicy, resolve: Resolver = systemResolver): WebhookSender {
  const agent = new Agent({
    connect: { lookup: guardedLookup(resolve, policy), timeout: ATTEMPT_TIMEOUT_MS },
    headersTimeout: ATTEMPT_TIMEOUT_MS,
    bodyTimeout: ATTEMPT_TIMEOUT_MS,
    keepAliveTimeout: 4_000,
  });
  return {
    async send({ url, body, headers }) {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      let target: URL;
      try {
        target = parseEndpointUrl(url, policy);
      } catch (error) {
        return { ok: false, status: null, excerpt: `Refused: ${(error as Error).message}`, durationMs: 0, retryAfterSeconds: null };
      }
      try {
        const response = await fetch(target, {
          method: 'POST',
          body,
          headers: { ...headers, 'user-agent': 'Bastion-Webhooks/1.0' },
          redirect: 'manual',
          dispatcher: agent,
          signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
        });
        const bytes = await readCapped(response.body);
        return {
          ok: response.status >= 200 && response.status < 300,
          status: response.status,
          excerpt: excerptOf(bytes),
          durationMs: elapsed(),
          retryAfterSeconds: parseRetryAfter(response.headers.get('retry-after')),
        };
      } catch (error) {
        return { ok: false, status: null, excerpt: describeFailure(error), durationMs: elapsed(), retryAfterSeconds: null };
      }
    },
    close: () => agent.close(),
  };
}

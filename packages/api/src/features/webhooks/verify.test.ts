import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '@bastion/db';
import { createTestDatabase } from '../../../../../test/helpers/database.ts';
import { receiveWebhook } from './receive.ts';
import { generateSecret } from './signature.ts';
import { verifyWebhook, WebhookVerificationError } from './verify.ts';

/** The sender side is the reference implementation: what it signs, we must accept, and nothing else. */
const secret = generateSecret();
const other = generateSecret();
const oracle = new Webhook(secret);
const body = '{"type":"contact.created","timestamp":"2026-12-01T12:00:00.000Z","data":{"id":"x", "spaced":  true}}';
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

function signed(options: { id?: string; at?: number; payload?: string; with?: Webhook } = {}) {
  const at = options.at ?? NOW;
  const id = options.id ?? 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at / 1000)),
    'webhook-signature': (options.with ?? oracle).sign(id, new Date(at), options.payload ?? body),
  };
}

function failure(run: () => unknown): string | null {
  try {
    run();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
  return null;
}

describe('verifyWebhook', () => {
  it('accepts what the reference implementation signs, from the raw bytes', () => {
    const verified = verifyWebhook(Buffer.from(body), signed(), [secret], NOW);
    expect(verified).toMatchObject({ id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', timestamp: NOW / 1000, payload: { type: 'contact.created' } });
    // A Fetch Headers object works as well as Node's header record.
    expect(verifyWebhook(body, new Headers(signed()), [secret], NOW).id).toBe('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W');
  });

  it('rejects a missing header', () => {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      const headers: Record<string, string> = { ...signed() };
      delete headers[name];
      expect(failure(() => verifyWebhook(body, headers, [secret], NOW))).toBe('missing_headers');
    }
  });

  it('rejects a bad signature: another secret, a tampered signature, a signature without v1', () => {
    expect(failure(() => verifyWebhook(body, signed(), [other], NOW))).toBe('bad_signature');
    const tampered = signed();
    tampered['webhook-signature'] = tampered['webhook-signature'].slice(0, -4) + 'AAA=';
    expect(failure(() => verifyWebhook(body, tampered, [secret], NOW))).toBe('bad_signature');
    expect(failure(() => verifyWebhook(body, { ...signed(), 'webhook-signature': signed()['webhook-signature'].replace('v1,', 'v2,') }, [secret], NOW))).toBe('bad_signature');
    // Signed for another id: the id is part of what is signed.
    expect(failure(() => verifyWebhook(body, { ...signed(), 'webhook-id': 'msg_other' }, [secret], NOW))).toBe('bad_signature');
  });

  it('rejects a timestamp 301 s off either way, accepts ±299 s', () => {
    expect(failure(() => verifyWebhook(body, signed({ at: NOW - 301_000 }), [secret], NOW))).toBe('timestamp_out_of_tolerance');
    expect(failure(() => verifyWebhook(body, signed({ at: NOW + 301_000 }), [secret], NOW))).toBe('timestamp_out_of_tolerance');
    expect(failure(() => verifyWebhook(body, signed({ at: NOW - 299_000 }), [secret], NOW))).toBeNull();
    expect(failure(() => verifyWebhook(body, signed({ at: NOW + 299_000 }), [secret], NOW))).toBeNull();
    // The reference implementation draws the same line.
    expect(() => oracle.verify(body, signed({ at: Date.now() - 301_000 }))).toThrow();
    expect(() => oracle.verify(body, signed({ at: Date.now() - 299_000 }))).not.toThrow();
  });

  it('rejects a re-serialized body: the signature covers the bytes as sent', () => {
    const reserialized = JSON.stringify(JSON.parse(body));
    expect(reserialized).not.toBe(body);
    expect(failure(() => verifyWebhook(reserialized, signed(), [secret], NOW))).toBe('bad_signature');
  });

  it('accepts a list with one valid signature among several, and any one of several secrets', () => {
    const valid = signed()['webhook-signature'];
    const stranger = signed({ with: new Webhook(other) })['webhook-signature'];
    const list = `v1,${Buffer.alloc(32, 7).toString('base64')} ${stranger} v2,whatever ${valid}`;
    expect(verifyWebhook(body, { ...signed(), 'webhook-signature': list }, [secret], NOW).id).toBeTruthy();
    expect(verifyWebhook(body, signed(), [other, secret], NOW).id).toBeTruthy();
    expect(failure(() => verifyWebhook(body, { ...signed(), 'webhook-signature': `${stranger} v1,AAAA` }, [secret], NOW))).toBe('bad_signature');
  });

  it('rejects a timestamp that is not whole seconds', () => {
    expect(failure(() => verifyWebhook(body, { ...signed(), 'webhook-timestamp': '1764590400.5' }, [secret], NOW))).toBe('bad_timestamp');
  });
});

describe('receiveWebhook', () => {
  let handle: DbHandle;
  beforeAll(async () => {
    handle = createDb({ url: await createTestDatabase(), poolMax: 4, idleTimeoutSeconds: 5, maxLifetimeSeconds: 600, connectTimeoutSeconds: 5, statementTimeoutMs: 5000 });
  });
  afterAll(async () => {
    await handle?.close();
  });

  it('runs the handler once per webhook-id, answers a repeat 200 without running it, even when repeats race', async () => {
    const headers = signed({ id: `msg_${Math.random().toString(36).slice(2)}`, at: Date.now() });
    let runs = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () =>
        receiveWebhook(handle.db, { receiver: 'test', secrets: [secret], rawBody: body, headers }, async () => {
          runs++;
        }),
      ),
    );
    expect(runs).toBe(1);
    expect(outcomes.every((outcome) => outcome.status === 200)).toBe(true);
    expect(outcomes.filter((outcome) => outcome.status === 200 && !outcome.duplicate)).toHaveLength(1);
  });

  it('keeps no receipt when the handler fails, so the retry is processed; refuses bad signatures with 401', async () => {
    const headers = signed({ id: `msg_${Math.random().toString(36).slice(2)}`, at: Date.now() });
    const incoming = { receiver: 'test', secrets: [secret], rawBody: body, headers };
    await expect(receiveWebhook(handle.db, incoming, async () => Promise.reject(new Error('downstream failed')))).rejects.toThrow('downstream failed');
    let ran = false;
    expect(await receiveWebhook(handle.db, incoming, async () => void (ran = true))).toEqual({ status: 200, duplicate: false });
    expect(ran).toBe(true);
    expect(await receiveWebhook(handle.db, { ...incoming, secrets: [other] }, async () => {})).toEqual({ status: 401, reason: 'bad_signature' });
    expect(await receiveWebhook(handle.db, { ...incoming, headers: {} }, async () => {})).toEqual({ status: 400, reason: 'missing_headers' });
  });
});

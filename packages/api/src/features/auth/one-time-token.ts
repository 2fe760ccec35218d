import { createHash, createHmac, randomBytes } from 'node:crypto';
import { deriveKey } from '../../lib/crypto/derive-key.ts';
import { and, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import { schema, type Transaction } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';

export type TokenPurpose = 'verify_email' | 'reset_password' | 'change_email' | 'revert_email';

const PREFIX: Record<TokenPurpose, string> = { verify_email: 'ev_', reset_password: 'pr_', change_email: 'ec_', revert_email: 'eu_' };

/** What the links look like: a purpose prefix and 256 random bits. */
export const ONE_TIME_TOKEN = /^(ev|pr|ec|eu)_[A-Za-z0-9_-]{43}$/;

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

export const invalidToken = () => new AppError('BAD_REQUEST', 'invalid_token', 'This link is invalid, was already used or has expired. Request a new one.');

/** Issues a random token for `userId`; the caller mails it. Only its hash is kept. */
export async function issueToken(db: Context['db'] | Transaction, userId: string, purpose: TokenPurpose, ttlSeconds: number): Promise<string> {
  const token = PREFIX[purpose] + randomBytes(32).toString('base64url');
  await db.insert(schema.userTokens).values({
    userId,
    purpose,
    tokenHash: hash(token),
    expiresAt: sql`now() + make_interval(secs => ${ttlSeconds})`,
  });
  return token;
}

interface TokenKey {
  kid: string;
  secret: Buffer;
}

const linkKey = (key: TokenKey): Buffer => deriveKey(key.secret, 'bastion one-time-token v1');

const jobToken = (key: TokenKey, purpose: TokenPurpose, jobId: string) =>
  PREFIX[purpose] + createHmac('sha256', linkKey(key)).update(`${purpose}:${jobId}`).digest('base64url');

/**
 * The token a mail job sends, minted inside the job so no queue row ever holds it: an HMAC of the
 * job id under a key of the ring. A retried job derives the same token and finds its hash already
 * stored, so retries resend one link instead of minting a pile of valid ones; the job id alone (in
 * the queue's tables) opens nothing without the key. Every key of the ring is tried, so a
 * rotation between two attempts still finds the first one's token.
 */
export async function issueJobToken(
  db: Context['db'] | Transaction,
  keys: readonly TokenKey[],
  { jobId, userId, purpose, ttlSeconds, subjectId }: { jobId: string; userId: string; purpose: TokenPurpose; ttlSeconds: number; subjectId?: string },
): Promise<{ token: string; retried: boolean }> {
  const candidates = keys.map((key) => jobToken(key, purpose, jobId));
  const [current] = candidates;
  if (!current) throw new Error('no encryption key configured');
  const t = schema.userTokens;
  const [minted] = await db
    .select({ tokenHash: t.tokenHash })
    .from(t)
    .where(inArray(t.tokenHash, candidates.map(hash)))
    .limit(1);
  const earlier = minted && candidates.find((candidate) => hash(candidate) === minted.tokenHash);
  if (earlier) return { token: earlier, retried: true };
  await db
    .insert(t)
    .values({ userId, purpose, subjectId, tokenHash: hash(current), expiresAt: sql`now() + make_interval(secs => ${ttlSeconds})` })
    .onConflictDoNothing({ target: t.tokenHash });
  return { token: current, retried: false };
}

/**
 * Uses a token: one atomic update that succeeds only for an unused, unexpired token of this
 * purpose, so two parallel uses cannot both succeed. Returns the user, or throws `invalid_token`.
 */
export async function consumeToken(db: Context['db'] | Transaction, purpose: TokenPurpose, token: string): Promise<string> {
  return (await consumeSubjectToken(db, purpose, token)).userId;
}

/** As `consumeToken`, with the row the token was minted for (`subjectId`, null if none). */
export async function consumeSubjectToken(db: Context['db'] | Transaction, purpose: TokenPurpose, token: string): Promise<{ userId: string; subjectId: string | null }> {
  if (!ONE_TIME_TOKEN.test(token) || !token.startsWith(PREFIX[purpose])) throw invalidToken();
  const t = schema.userTokens;
  const [row] = await db
    .update(t)
    .set({ usedAt: sql`now()` })
    .where(and(eq(t.tokenHash, hash(token)), eq(t.purpose, purpose), isNull(t.usedAt), gt(t.expiresAt, sql`now()`)))
    .returning({ userId: t.userId, subjectId: t.subjectId });
  if (!row) throw invalidToken();
  return row;
}

/** Voids the user's other outstanding tokens of a purpose (after a reset, older links die). */
export async function voidTokens(db: Context['db'] | Transaction, userId: string, purpose: TokenPurpose): Promise<void> {
  const t = schema.userTokens;
  await db
    .update(t)
    .set({ usedAt: sql`now()` })
    .where(and(eq(t.userId, userId), eq(t.purpose, purpose), isNull(t.usedAt)));
}

import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { schema, type Transaction } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';

export type TokenPurpose = 'verify_email' | 'reset_password';

const PREFIX: Record<TokenPurpose, string> = { verify_email: 'ev_', reset_password: 'pr_' };

/** What the links look like: a purpose prefix and 256 random bits. */
export const ONE_TIME_TOKEN = /^(ev|pr)_[A-Za-z0-9_-]{43}$/;

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

export const invalidToken = () => new AppError('BAD_REQUEST', 'invalid_token', 'This link is invalid, was already used or has expired. Request a new one.');

/** Issues a token for `userId`; the caller mails it. Only its hash is kept. */
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

/**
 * Uses a token: one atomic update that succeeds only for an unused, unexpired token of this
 * purpose, so two parallel uses cannot both succeed. Returns the user, or throws `invalid_token`.
 */
export async function consumeToken(db: Context['db'] | Transaction, purpose: TokenPurpose, token: string): Promise<string> {
  if (!ONE_TIME_TOKEN.test(token) || !token.startsWith(PREFIX[purpose])) throw invalidToken();
  const t = schema.userTokens;
  const [row] = await db
    .update(t)
    .set({ usedAt: sql`now()` })
    .where(and(eq(t.tokenHash, hash(token)), eq(t.purpose, purpose), isNull(t.usedAt), gt(t.expiresAt, sql`now()`)))
    .returning({ userId: t.userId });
  if (!row) throw invalidToken();
  return row.userId;
}

/** Voids the user's other outstanding tokens of a purpose (after a reset, older links die). */
export async function voidTokens(db: Context['db'] | Transaction, userId: string, purpose: TokenPurpose): Promise<void> {
  const t = schema.userTokens;
  await db
    .update(t)
    .set({ usedAt: sql`now()` })
    .where(and(eq(t.userId, userId), eq(t.purpose, purpose), isNull(t.usedAt)));
}

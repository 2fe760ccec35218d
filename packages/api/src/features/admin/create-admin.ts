import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { schema, withTransaction, type Database } from '@bastion/db';
import type { AppConfig } from '../../config/index.ts';
import { recordAudit, systemActor } from '../audit/audit.service.ts';
import { issueToken } from '../auth/one-time-token.ts';
import { hashPassword } from '../auth/password.ts';

/** The set-password link of `pnpm admin:create` lasts a day: the operator hands it over. */
export const ADMIN_LINK_TTL_SECONDS = 24 * 3600;

/**
 * `pnpm admin:create --email …`: the first admin of a fresh deployment (or any later one). Creates
 * the account if needed (with an unusable random password, email counted as verified: the
 * operator vouches for it) or promotes the existing one, and returns a one-time set-password link
 * (the password-reset flow). No secret is ever typed on the command line. Audited as `system`.
 */
export async function createAdmin(deps: { db: Database; config: AppConfig }, rawEmail: string): Promise<{ userId: string; created: boolean; link: string }> {
  const email = z.email().max(254).parse(rawEmail.trim().toLowerCase());
  const { users } = schema;
  const placeholder = await hashPassword(randomBytes(32).toString('base64url'));
  const result = await withTransaction(deps.db, async (tx) => {
    const [existing] = await tx.select({ id: users.id }).from(users).where(eq(sql`lower(${users.email})`, email)).for('update').limit(1);
    let userId = existing?.id;
    if (userId) {
      await tx.update(users).set({ role: 'admin', disabledAt: null }).where(eq(users.id, userId));
    } else {
      const [inserted] = await tx.insert(users).values({ email, passwordHash: placeholder, role: 'admin', emailVerifiedAt: sql`now()` }).returning({ id: users.id });
      userId = inserted!.id;
    }
    const token = await issueToken(tx, userId, 'reset_password', ADMIN_LINK_TTL_SECONDS);
    await recordAudit(tx, { config: deps.config }, { actor: systemActor('admin:create'), action: 'admin.created', subjectId: userId, detail: { created: !existing } });
    return { userId, created: !existing, token };
  });
  return { userId: result.userId, created: result.created, link: `${deps.config.http.appOrigin}/reset-password?token=${result.token}` };
}

import { z } from 'zod';
import { ROLES } from '../auth/permissions.ts';

/** Why an administrator acts: kept in the audit log with the action. */
export const reason = z.string().trim().min(3, 'Give a reason of at least 3 characters.').max(500);

export const userActionInput = z.object({ id: z.uuid(), reason });

export const revokeSessionsInput = z.object({ id: z.uuid(), reason: reason.optional() });

export const setRoleInput = z.object({ id: z.uuid(), role: z.enum(ROLES), reason });

export const USER_STATUSES = ['active', 'disabled', 'pending_deletion'] as const;

export const listUsersInput = z.object({
  /** Part of the email address or name. */
  search: z.string().trim().min(1).max(100).optional(),
  role: z.enum(ROLES).optional(),
  status: z.enum(USER_STATUSES).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(100).default(25),
});

const adminUser = z.object({
  id: z.uuid(),
  email: z.email(),
  name: z.string().nullable(),
  role: z.enum(ROLES),
  status: z.enum(USER_STATUSES),
  emailVerified: z.boolean(),
  disabledAt: z.iso.datetime().nullable(),
  deletionScheduledAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
});

export const listUsersOutput = z.object({ items: z.array(adminUser), nextCursor: z.string().nullable() });

export const getUserInput = z.object({ id: z.uuid() });

export const getUserOutput = z.object({
  user: adminUser.extend({ twoFactorEnabled: z.boolean() }),
  sessions: z.array(
    z.object({
      id: z.uuid(),
      ip: z.string().nullable(),
      userAgent: z.string().nullable(),
      createdAt: z.iso.datetime(),
      lastUsedAt: z.iso.datetime(),
      expiresAt: z.iso.datetime(),
      revokedAt: z.iso.datetime().nullable(),
      revokedReason: z.string().nullable(),
    }),
  ),
  securityEvents: z.array(z.object({ id: z.uuid(), type: z.string(), ip: z.string().nullable(), createdAt: z.iso.datetime() })),
  /**
   * Sign-in providers linked to the account, without tokens. The OIDC feature fills it at merge
   * (features/admin/user-detail.ts names the spot); empty until then.
   */
  connectedAccounts: z.array(z.object({ provider: z.string(), subject: z.string(), email: z.string().nullable(), linkedAt: z.iso.datetime() })),
});

export const disableUserOutput = z.object({ success: z.literal(true), revokedSessions: z.number().int().min(0) });

export const enableUserOutput = z.object({ success: z.literal(true) });

export const unlockUserOutput = z.object({ success: z.literal(true), clearedBlocks: z.number().int().min(0) });

export const setRoleOutput = z.object({ success: z.literal(true), role: z.enum(ROLES), previousRole: z.enum(ROLES) });

export const revokeSessionsOutput = z.object({ success: z.literal(true), revokedSessions: z.number().int().min(0) });

export const disableTwoFactorOutput = z.object({
  success: z.literal(true),
  /** False: the user had no 2FA on, and nothing changed. */
  twoFactorWasOn: z.boolean(),
  revokedSessions: z.number().int().min(0),
});

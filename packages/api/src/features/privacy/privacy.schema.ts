import { z } from 'zod';

export const exportDataOutput = z.object({ exportId: z.uuid(), status: z.literal('pending') });

export const deleteAccountInput = z.object({
  password: z.string().min(1).max(200),
  /** A TOTP (or recovery) code: required when two-factor authentication is on. */
  code: z.string().trim().min(6).max(32).optional(),
});

export const deleteAccountOutput = z.object({ deletionAt: z.iso.datetime() });

export const cancelDeletionOutput = z.object({ success: z.literal(true), cancelled: z.boolean() });

export const privacyStatusOutput = z.object({
  deletionScheduledAt: z.iso.datetime().nullable(),
  /** The open export (being prepared, or waiting to be downloaded), if any. */
  openExport: z.object({ status: z.enum(['pending', 'ready']), requestedAt: z.iso.datetime(), expiresAt: z.iso.datetime().nullable() }).nullable(),
  exportsLeftToday: z.number().int().min(0),
});

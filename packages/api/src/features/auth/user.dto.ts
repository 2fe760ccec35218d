import { ROLES, type Role } from './permissions.ts';
import { z } from 'zod';
import { schema } from '@bastion/db';

export const userOutput = z.object({
  id: z.uuid(),
  email: z.email(),
  name: z.string().nullable(),
  role: z.enum(ROLES),
  emailVerified: z.boolean(),
  createdAt: z.iso.datetime(),
  /** account.delete: when the account will be erased, unless cancelled; null otherwise. */
  deletionScheduledAt: z.iso.datetime().nullable(),
});

export type UserDto = z.infer<typeof userOutput>;

/** The columns every user read projects: never the password hash. */
export const userColumns = {
  id: schema.users.id,
  email: schema.users.email,
  name: schema.users.name,
  role: schema.users.role,
  emailVerifiedAt: schema.users.emailVerifiedAt,
  createdAt: schema.users.createdAt,
  deletionScheduledAt: schema.users.deletionScheduledAt,
};

type UserRow = { id: string; email: string; name: string | null; role: Role; emailVerifiedAt: Date | null; createdAt: Date; deletionScheduledAt: Date | null };

export function toUserDto(row: UserRow): UserDto {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    emailVerified: row.emailVerifiedAt !== null,
    createdAt: row.createdAt.toISOString(),
    deletionScheduledAt: row.deletionScheduledAt?.toISOString() ?? null,
  };
}

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
};

type UserRow = { id: string; email: string; name: string | null; role: Role; emailVerifiedAt: Date | null; createdAt: Date };

export function toUserDto(row: UserRow): UserDto {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    emailVerified: row.emailVerifiedAt !== null,
    createdAt: row.createdAt.toISOString(),
  };
}

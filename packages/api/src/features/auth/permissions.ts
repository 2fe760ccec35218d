import { AppError } from '../../errors/app-error.ts';

/**
 * Roles and what they may do, in one place (ADR 082). A role is read from the live session on
 * every call (guards.ts), so a changed role counts at once on every instance. `user` holds no
 * administrative permission: its own data is reached through the owner-scoped procedures.
 */
export const ROLES = ['user', 'support', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'users:read',
  'users:unlock',
  'users:disable',
  'users:setRole',
  'users:revokeSessions',
  'users:resetTwoFactor',
  'audit:read',
  'audit:export',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  user: new Set(),
  support: new Set(['users:read', 'users:unlock', 'audit:read']),
  admin: new Set(PERMISSIONS),
};

export function hasPermission(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

/** The permissions of a role, for the web app to hide what the server would refuse. */
export function permissionsOf(role: Role): Permission[] {
  return PERMISSIONS.filter((permission) => hasPermission(role, permission));
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

/** The check behind every admin procedure (trpc.ts reads the permission from `meta.permission`). */
export function requirePermission(auth: { role: Role }, permission: Permission): void {
  if (!hasPermission(auth.role, permission)) throw new AppError('FORBIDDEN', 'forbidden', 'You do not have access to this.');
}

import { adminProcedure, router } from '../../trpc.ts';
import { asyncIterableOf } from '../../lib/async-iterable-output.ts';
import { auditEntry, exportAuditInput, listAuditInput, listAuditOutput } from './audit.schema.ts';
import { exportAuditHandler, listAuditHandler } from './audit.queries.ts';
import { getUserHandler, listUsersHandler } from './users.queries.ts';
import { disableTwoFactorHandler, disableUserHandler, enableUserHandler, revokeSessionsHandler, setRoleHandler, unlockUserHandler } from './users.service.ts';
import {
  disableTwoFactorOutput,
  disableUserOutput,
  enableUserOutput,
  getUserInput,
  getUserOutput,
  listUsersInput,
  listUsersOutput,
  revokeSessionsInput,
  revokeSessionsOutput,
  setRoleInput,
  setRoleOutput,
  unlockUserOutput,
  userActionInput,
} from './users.schema.ts';

/** Staff procedures: each names its permission (features/auth/permissions.ts); every change is audited. */
export const adminRouter = router({
  users: router({
    list: adminProcedure.meta({ rateLimit: 'admin.default', permission: 'users:read' }).input(listUsersInput).output(listUsersOutput).query(listUsersHandler),
    get: adminProcedure.meta({ rateLimit: 'admin.default', permission: 'users:read' }).input(getUserInput).output(getUserOutput).query(getUserHandler),
    disable: adminProcedure.meta({ rateLimit: 'admin.default', permission: 'users:disable' }).input(userActionInput).output(disableUserOutput).mutation(disableUserHandler),
    enable: adminProcedure.meta({ rateLimit: 'admin.default', permission: 'users:disable' }).input(userActionInput).output(enableUserOutput).mutation(enableUserHandler),
    unlock: adminProcedure.meta({ rateLimit: 'admin.default', permission: 'users:unlock' }).input(userActionInput).output(unlockUserOutput).mutation(unlockUserHandler),
    setRole: adminProcedure.meta({ rateLimit: 'admin.default', permission: 'users:setRole' }).input(setRoleInput).output(setRoleOutput).mutation(setRoleHandler),
    revokeSessions: adminProcedure.meta({ rateLimit: 'admin.default', permission: 'users:revokeSessions' }).input(revokeSessionsInput).output(revokeSessionsOutput).mutation(revokeSessionsHandler),
    disableTwoFactor: adminProcedure.meta({ rateLimit: 'admin.default', permission: 'users:resetTwoFactor' }).input(userActionInput).output(disableTwoFactorOutput).mutation(disableTwoFactorHandler),
  }),
  audit: router({
    list: adminProcedure.meta({ rateLimit: 'admin.default', permission: 'audit:read' }).input(listAuditInput).output(listAuditOutput).query(listAuditHandler),
    export: adminProcedure.meta({ rateLimit: 'admin.export', permission: 'audit:export' }).input(exportAuditInput).output(asyncIterableOf(auditEntry)).query(exportAuditHandler),
  }),
});

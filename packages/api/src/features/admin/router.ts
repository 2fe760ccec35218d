import { adminProcedure, router } from '../../trpc.ts';
import { disableTwoFactorHandler } from './disable-two-factor.handler.ts';
import { disableUserHandler } from './disable-user.handler.ts';
import { unlockUserHandler } from './unlock-user.handler.ts';
import { disableTwoFactorOutput, disableUserOutput, unlockUserOutput, userIdInput } from './users.schema.ts';

export const adminRouter = router({
  users: router({
    disable: adminProcedure.meta({ rateLimit: 'admin.default', permission: 'users:disable' }).input(userIdInput).output(disableUserOutput).mutation(disableUserHandler),
    disableTwoFactor: adminProcedure.meta({ rateLimit: 'admin.default', permission: 'users:resetTwoFactor' }).input(userIdInput).output(disableTwoFactorOutput).mutation(disableTwoFactorHandler),
    unlock: adminProcedure.meta({ rateLimit: 'admin.default', permission: 'users:unlock' }).input(userIdInput).output(unlockUserOutput).mutation(unlockUserHandler),
  }),
});

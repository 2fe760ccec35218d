import { adminProcedure, router } from '../../trpc.ts';
import { disableUserHandler } from './disable-user.handler.ts';
import { disableUserOutput, userIdInput } from './users.schema.ts';

export const adminRouter = router({
  users: router({
    disable: adminProcedure.input(userIdInput).output(disableUserOutput).mutation(disableUserHandler),
  }),
});

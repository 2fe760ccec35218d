import { noInput } from '../../no-input.ts';
import { authedProcedure, router } from '../../trpc.ts';
import { disconnectInput, disconnectOutput, listConnectedAccountsOutput } from './connected-accounts.schema.ts';
import { disconnectConnectedAccount, listConnectedAccounts } from './connected-accounts.service.ts';

export const connectedAccountsRouter = router({
  list: authedProcedure.meta({ rateLimit: 'connectedAccounts.manage' }).input(noInput).output(listConnectedAccountsOutput).query(listConnectedAccounts),
  disconnect: authedProcedure.meta({ rateLimit: 'auth.sensitive' }).input(disconnectInput).output(disconnectOutput).mutation(disconnectConnectedAccount),
});

// jwt-rotation: add a second signing key, promote it, retire the old one — the operator's sequence
// from docs/operations.md, one restart per step. Tokens signed with the old key verify until it is
// removed and are refused after; sessions survive (refresh works throughout).
import { randomBytes } from 'node:crypto';
import { check, drillDatabase, log, signUp, startDrillServer, trpcGet, trpcPost, type DrillUser } from './harness.ts';

const key = () => randomBytes(32).toString('base64');
const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid?: string }).kid;

export async function jwtRotation(): Promise<void> {
  const database = await drillDatabase();
  const oldKey = `old:${key()}`;
  const newKey = `new:${key()}`;
  const steps: { name: string; secrets: string }[] = [
    { name: 'add the new key (second: verifies only)', secrets: `${oldKey},${newKey}` },
    { name: 'promote it (first: signs)', secrets: `${newKey},${oldKey}` },
    { name: 'retire the old key', secrets: newKey },
  ];
  let server = await startDrillServer({ DATABASE_URL: database.url, JWT_SECRETS: oldKey });
  try {
    const user: DrillUser = await signUp(server);
    const oldToken = user.accessToken;
    check(kidOf(oldToken) === 'old', `before: tokens are signed with "old" (got ${kidOf(oldToken)})`);
    const login = await trpcPost(server, 'auth.login', { email: user.email, password: 'correct-horse-battery-staple-42', tokenDelivery: 'body' });
    let refreshToken = (login.body as { result: { data: { refreshToken: string } } }).result.data.refreshToken;
    const me = (token: string) => trpcGet(server, 'auth.me', {}, { authorization: `Bearer ${token}` });
    let newToken = '';

    for (const [index, step] of steps.entries()) {
      await server.stop();
      server = await startDrillServer({ DATABASE_URL: database.url, JWT_SECRETS: step.secrets });
      const refreshed = await trpcPost(server, 'auth.refresh', { refreshToken });
      check(refreshed.status === 200, `${step.name}: the session survives, refresh answers ${refreshed.status}`);
      const pair = (refreshed.body as { result: { data: { accessToken: string; refreshToken: string } } }).result.data;
      refreshToken = pair.refreshToken;
      const signer = kidOf(pair.accessToken);
      const oldStatus = (await me(oldToken)).status;
      log(`${step.name}: JWT_SECRETS kids ${step.secrets.split(',').map((entry) => entry.split(':')[0]).join(',')} → new tokens signed by "${signer}", an old-key token answers ${oldStatus}`);
      if (index === 0) {
        check(signer === 'old', 'a second key does not sign');
        check(oldStatus === 200, 'old tokens verify while the old key is listed');
      } else if (index === 1) {
        check(signer === 'new', 'the promoted key signs');
        check(oldStatus === 200, 'old tokens still verify after the promotion');
        newToken = pair.accessToken;
      } else {
        check(oldStatus === 401, 'an old-key token is refused once the old key is removed');
        check((await me(newToken)).status === 200, 'a new-key token verifies after the retirement');
        check(signer === 'new', 'tokens are signed by the remaining key');
      }
    }
  } finally {
    await server.stop();
    await database.close();
  }
}

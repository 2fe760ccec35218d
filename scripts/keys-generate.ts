// Prints one new key line, `kid:base64`, for ENCRYPTION_KEYS or JWT_SECRETS (same format): put it
// first in the list to make it current and keep the old entries behind it until they are unused.
//   pnpm keys:generate [--kid NAME]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { kid: { type: 'string' } } });
const kid = values.kid ?? `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}${randomBytes(2).toString('hex')}`;
if (!/^[A-Za-z0-9._-]{1,64}$/.test(kid)) {
  console.error('--kid: 1–64 characters of [A-Za-z0-9._-]');
  process.exit(2);
}
console.log(`${kid}:${randomBytes(32).toString('base64')}`);

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.ts';
import { DEV_ENCRYPTION_KEYS, DEV_JWT_SECRETS, DEV_REFRESH_TOKEN_SECRET } from './env.ts';

const STRONG = 'cHJvZHVjdGlvbi1rZXktZm9yLWNvbmZpZy10ZXN0cy0wMTIzNDU2Nzg5';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('config', () => {
  it('has working development defaults', () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(3000);
    expect(config.db.url).toBeUndefined();
    expect(config.db.poolMax).toBe(10);
    expect(config.db.statementTimeoutMs).toBe(10_000);
    expect(config.http.bodyLimitBytes).toBe(102_400);
    expect(config.auth.secureCookies).toBe(false);
  });

  it('names every invalid variable at once', () => {
    const problems = problemsOf({ PORT: 'eighty', DB_POOL_MAX: '0', DATABASE_URL: 'mysql://x', CORS_ORIGINS: 'not a url', JWT_SECRETS: 'k1:short' });
    const named = problems.map((p) => p.split(':')[0]);
    expect(named).toEqual(expect.arrayContaining(['PORT', 'DB_POOL_MAX', 'DATABASE_URL', 'CORS_ORIGINS', 'JWT_SECRETS']));
  });

  it('refuses development secrets and missing secrets in production', () => {
    const missing = problemsOf({ NODE_ENV: 'production' });
    expect(missing.join('\n')).toMatch(/JWT_SECRETS: required/);
    expect(missing.join('\n')).toMatch(/REFRESH_TOKEN_SECRET: required/);
    expect(missing.join('\n')).toMatch(/APP_ORIGIN: required/);
    expect(missing.join('\n')).toMatch(/SMTP_URL: required/);
    expect(missing.join('\n')).toMatch(/ENCRYPTION_KEYS: required/);
    const dev = problemsOf({
      NODE_ENV: 'production',
      JWT_SECRETS: DEV_JWT_SECRETS,
      REFRESH_TOKEN_SECRET: DEV_REFRESH_TOKEN_SECRET,
      ENCRYPTION_KEYS: DEV_ENCRYPTION_KEYS,
      APP_ORIGIN: 'https://app.example.com',
    });
    expect(dev.join('\n')).toMatch(/ENCRYPTION_KEYS: the development key is refused/);
    expect(dev.join('\n')).toMatch(/JWT_SECRETS: the development key is refused/);
    expect(dev.join('\n')).toMatch(/REFRESH_TOKEN_SECRET: the development key is refused/);
  });

  it('production with real secrets: secure cookies, rotation ring in order', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRETS: `b:${STRONG},a:${STRONG}`,
      REFRESH_TOKEN_SECRET: STRONG,
      APP_ORIGIN: 'https://app.example.com/',
      SMTP_URL: 'smtps://mailer:pw@mail.example.com:465',
      ENCRYPTION_KEYS: `e1:${STRONG}`,
    });
    expect(config.auth.secureCookies).toBe(true);
    expect(config.auth.jwtKeys.map((k) => k.kid)).toEqual(['b', 'a']);
    expect(config.http.appOrigin).toBe('https://app.example.com');
  });

  it('reads secrets from <NAME>_FILE and refuses both forms at once', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bastion-config-'));
    const file = path.join(dir, 'jwt');
    writeFileSync(file, `file:${STRONG}\n`);
    expect(loadConfig({ JWT_SECRETS_FILE: file }).auth.jwtKeys[0]?.kid).toBe('file');
    expect(problemsOf({ JWT_SECRETS_FILE: file, JWT_SECRETS: `x:${STRONG}` }).join()).toMatch(/JWT_SECRETS: set both/);
    expect(problemsOf({ JWT_SECRETS_FILE: path.join(dir, 'missing') }).join()).toMatch(/JWT_SECRETS_FILE: cannot read/);
  });

  it('parses TRUST_PROXY forms', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).http.trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).http.trustProxy).toEqual(['loopback', '10.0.0.0/8']);
  });
});

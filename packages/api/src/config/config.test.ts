import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.ts';
import { DEV_AUDIT_CHECKPOINT_KEY, DEV_ENCRYPTION_KEYS, DEV_JWT_SECRETS, DEV_REFRESH_TOKEN_SECRET } from './env.ts';

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
    expect(missing.join('\n')).toMatch(/METRICS_TOKEN: required/);
    expect(missing.join('\n')).toMatch(/AUDIT_CHECKPOINT_KEY: required/);
    const dev = problemsOf({
      NODE_ENV: 'production',
      JWT_SECRETS: DEV_JWT_SECRETS,
      REFRESH_TOKEN_SECRET: DEV_REFRESH_TOKEN_SECRET,
      ENCRYPTION_KEYS: DEV_ENCRYPTION_KEYS,
      AUDIT_CHECKPOINT_KEY: DEV_AUDIT_CHECKPOINT_KEY,
      APP_ORIGIN: 'https://app.example.com',
    });
    expect(dev.join('\n')).toMatch(/ENCRYPTION_KEYS: the development key is refused/);
    expect(dev.join('\n')).toMatch(/AUDIT_CHECKPOINT_KEY: the development key is refused/);
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
      METRICS_TOKEN: 'metrics-token-0123456789',
      AUDIT_CHECKPOINT_KEY: STRONG,
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

  it('production refuses TRUST_PROXY=true but keeps hop counts and proxy addresses', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRETS: `b:${STRONG}`,
      REFRESH_TOKEN_SECRET: STRONG,
      APP_ORIGIN: 'https://app.example.com',
      SMTP_URL: 'smtps://mailer:pw@mail.example.com:465',
      ENCRYPTION_KEYS: `e1:${STRONG}`,
      METRICS_TOKEN: 'metrics-token-0123456789',
      AUDIT_CHECKPOINT_KEY: STRONG,
    };
    expect(problemsOf({ ...production, TRUST_PROXY: 'true' })).toEqual([expect.stringMatching(/^TRUST_PROXY: true is refused in production/)]);
    expect(loadConfig({ ...production, TRUST_PROXY: '1' }).http.trustProxy).toBe(1);
    expect(loadConfig({ ...production, TRUST_PROXY: '10.0.0.0/8' }).http.trustProxy).toEqual(['10.0.0.0/8']);
  });

  it('generates a development encryption key into the data directory once, keeping the old shared key readable; tests use the shared one', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bastion-dev-keys-'));
    const env = { NODE_ENV: 'development', PG_DATA_DIR: path.join(dataDir, 'pg') };
    const first = loadConfig(env).encryption.keys;
    expect(first.map((key) => key.kid)).toEqual(['local', 'dev']);
    expect(first[0]!.secret).toHaveLength(32);
    const file = path.join(dataDir, 'encryption-keys');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadConfig(env).encryption.keys[0]!.secret.equals(first[0]!.secret)).toBe(true);
    expect(loadConfig({ ...env, ENCRYPTION_KEYS: `k1:${STRONG}` }).encryption.keys.map((key) => key.kid)).toEqual(['k1']);
    expect(loadConfig({ NODE_ENV: 'test', PG_DATA_DIR: path.join(dataDir, 'pg') }).encryption.keys.map((key) => key.kid)).toEqual(['dev']);
  });

  it('gives the development mailbox a key: DEV_MAILBOX_KEY, else random per process; none in tests and production', () => {
    const random = loadConfig({ NODE_ENV: 'development' }).mail.devMailboxKey;
    expect(random).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(loadConfig({ NODE_ENV: 'development' }).mail.devMailboxKey).not.toBe(random);
    expect(loadConfig({ NODE_ENV: 'development', DEV_MAILBOX_KEY: 'fixed-key-0123456789' }).mail.devMailboxKey).toBe('fixed-key-0123456789');
    expect(loadConfig({ NODE_ENV: 'test' }).mail.devMailboxKey).toBeUndefined();
  });

  it('chooses the rate-limit store and applies RATE_LIMITS overrides over the policy table', () => {
    const defaults = loadConfig({});
    expect(defaults.rateLimit.store).toBe('postgres');
    expect(defaults.rateLimit.policies['auth.login']).toMatchObject({ points: 5, windowSeconds: 60 });
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).rateLimit.store).toBe('redis');
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', RATE_LIMIT_STORE: 'memory' }).rateLimit.store).toBe('memory');
    const policies = loadConfig({ RATE_LIMITS: '*=1000/60, auth.login=7/30' }).rateLimit.policies;
    expect(policies['auth.login']).toMatchObject({ points: 7, windowSeconds: 30, key: 'ip', failClosed: true });
    expect(policies.global).toMatchObject({ points: 1000, windowSeconds: 60 });
    expect(problemsOf({ RATE_LIMITS: 'auth.nope=1/60' })).toEqual([expect.stringContaining('RATE_LIMITS')]);
    expect(problemsOf({ RATE_LIMITS: 'auth.login=5' })).toEqual([expect.stringContaining('RATE_LIMITS')]);
    expect(problemsOf({ RATE_LIMIT_STORE: 'redis' })).toEqual([expect.stringContaining('REDIS_URL')]);
  });

  it('defaults the assistant to the local provider and requires the upstream settings for openai', () => {
    const local = loadConfig({}).assistant;
    expect(local).toMatchObject({ provider: 'local', models: ['local/echo-1'], dailyTokenBudget: 50_000 });
    expect(loadConfig({}).rateLimit.policies['assistant.expensive'].points).toBe(10);
    expect(loadConfig({ AI_REQUESTS_PER_MINUTE: '3', RATE_LIMITS: '*=1000/60' }).rateLimit.policies['assistant.expensive']).toMatchObject({ points: 3, windowSeconds: 60 });
    expect(problemsOf({ AI_PROVIDER: 'openai' }).sort()).toEqual([expect.stringContaining('AI_API_KEY'), expect.stringContaining('AI_BASE_URL'), expect.stringContaining('AI_MODELS')]);
    expect(problemsOf({ AI_MODELS: 'good/model,bad model' })).toEqual([expect.stringContaining('AI_MODELS')]);
    const dir = mkdtempSync(path.join(tmpdir(), 'bastion-ai-'));
    writeFileSync(path.join(dir, 'key'), 'sk-from-a-file-123\n');
    const openai = loadConfig({ AI_PROVIDER: 'openai', AI_BASE_URL: 'https://gateway.example/v1', AI_API_KEY_FILE: path.join(dir, 'key'), AI_MODELS: 'vendor/model-a, vendor/model-b' }).assistant;
    expect(openai).toMatchObject({ provider: 'openai', apiKey: 'sk-from-a-file-123', models: ['vendor/model-a', 'vendor/model-b'] });
  });

  it('enables Google only with a client id and secret, https in production, on a cron-able refresh interval', () => {
    expect(loadConfig({}).oidc).toEqual({ google: null, refreshIntervalSeconds: 21_600 });
    expect(loadConfig({ GOOGLE_CLIENT_ID: 'id', GOOGLE_CLIENT_SECRET: 'secret' }).oidc.google).toEqual({ issuer: 'https://accounts.google.com', clientId: 'id', clientSecret: 'secret' });
    expect(problemsOf({ GOOGLE_CLIENT_ID: 'id' })).toEqual([expect.stringMatching(/^GOOGLE_CLIENT_ID: set both/)]);
    expect(problemsOf({ PROVIDER_REFRESH_INTERVAL_S: '700' })).toEqual([expect.stringMatching(/^PROVIDER_REFRESH_INTERVAL_S:/)]);
    expect(loadConfig({ PROVIDER_REFRESH_INTERVAL_S: '900' }).oidc.refreshIntervalSeconds).toBe(900);
    expect(problemsOf({ NODE_ENV: 'production', GOOGLE_ISSUER: 'http://127.0.0.1:9999' })).toContain('GOOGLE_ISSUER: must be https in production');
  });
});

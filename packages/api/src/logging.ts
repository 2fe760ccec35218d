import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Paths whose values never reach a log line. pino's wildcards match one level, so the common
 * depths are listed.
 */
const SECRET_KEYS = ['password', 'newPassword', 'currentPassword', 'token', 'accessToken', 'refreshToken', 'secret', 'code', 'authorization', 'cookie'];
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
];

/** Driver errors carry the statement's bound parameters; those stay out of logs. */
function serializeError(error: unknown) {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  delete serialized.parameters;
  delete serialized.args;
  if (serialized.cause && typeof serialized.cause === 'object') {
    delete (serialized.cause as Record<string, unknown>).parameters;
  }
  return serialized;
}

export function createLogger(options: { level: string; destination?: DestinationStream; pretty?: boolean }): Logger {
  return pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'bastion' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError },
    },
    options.destination,
  );
}

export type { Logger };

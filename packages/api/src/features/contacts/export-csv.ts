import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { createContextInner, type AppDeps, type CookieJar, type RequestInfo } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { formatError } from '../../errors/error-formatter.ts';
import { toTRPCError } from '../../errors/to-trpc-error.ts';
import { clientKey } from '../../lib/rate-limit/client-key.ts';
import { enforceRateLimits } from '../../lib/rate-limit/enforce.ts';
import { authenticate, requireScopes } from '../auth/guards.ts';
import type { ContactDto } from './contact.schema.ts';
import { exportFilter } from './list.schema.ts';
import { allContacts } from './service.ts';

export const CSV_COLUMNS = ['name', 'email', 'phone', 'company', 'tags', 'notes', 'createdAt', 'updatedAt'] as const;
/** The one tag separator: the contact form, bulk tagging, the import and this export. */
export const TAG_SEPARATOR = ', ';

/**
 * RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. A text field a
 * spreadsheet would run as a formula (= + - @, tab, CR first) gets a leading apostrophe (OWASP CSV
 * injection); phones are exempt — the API allows only digits and + ( ) - . / in them, no function.
 */
export function csvField(value: string, { formulaSafe = true } = {}): string {
  const text = formulaSafe && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow(contact: ContactDto): string {
  const cells = CSV_COLUMNS.map((column) => {
    const value = contact[column];
    if (column === 'phone') return csvField(contact.phone ?? '', { formulaSafe: false });
    return csvField(Array.isArray(value) ? value.join(TAG_SEPARATOR) : (value ?? ''));
  });
  return `${cells.join(',')}\r\n`;
}

/**
 * `GET /api/contacts/export.csv?search=&tag=&sort=&direction=` (mounted by the server's app.ts):
 * the caller's contacts matching the list's filters, in its order, as CSV (UTF-8 with a BOM, so
 * spreadsheets read accents right). Authenticated as the API is (cookie, bearer token, or an API
 * key with `contacts:read`) and counted against `global` and `user.bulk`. Rows are read a keyset
 * page at a time and written as the socket drains, so memory stays flat at any size.
 */
export async function exportContactsCsv(deps: AppDeps, request: RequestInfo, cookies: CookieJar, query: Record<string, unknown>, res: ServerResponse): Promise<void> {
  const ctx = createContextInner({ deps, request, cookies, responseHeaders: { set: (name, value) => res.setHeader(name, value) } });
  let rows: AsyncGenerator<ContactDto>;
  try {
    let auth;
    try {
      auth = await authenticate(ctx);
      await requireScopes(ctx, auth, ['contacts:read']);
    } catch (error) {
      await enforceRateLimits(ctx, [{ policy: 'global', key: clientKey(request.ip) }]);
      throw error;
    }
    await enforceRateLimits(ctx, [
      { policy: 'global', key: clientKey(request.ip) },
      ...(auth.apiKey ? [{ policy: 'apikey.default' as const, key: `apikey:${auth.apiKey.id}` }] : []),
      { policy: 'user.bulk', key: `user:${auth.userId}` },
    ]);
    const filter = exportFilter.safeParse(query);
    if (!filter.success) throw new AppError('BAD_REQUEST', 'validation_failed', 'Invalid input', { cause: filter.error });
    rows = allContacts({ db: ctx.db, auth }, filter.data);
  } catch (raised) {
    const error = toTRPCError(raised);
    const shape = formatError(
      { shape: { message: error.message, code: -32600, data: { code: error.code, httpStatus: getHTTPStatusCodeFromError(error) } }, error },
      { requestId: request.requestId, exposeInternals: false },
    );
    if (error.code === 'INTERNAL_SERVER_ERROR') ctx.log.error({ err: raised }, 'contacts export failed');
    res.statusCode = shape.data.httpStatus;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ error: { message: shape.message, data: shape.data } }));
    return;
  }

  res.statusCode = 200;
  res.setHeader('content-type', 'text/csv; charset=utf-8; header=present');
  res.setHeader('content-disposition', 'attachment; filename="contacts.csv"');
  res.setHeader('cache-control', 'no-store');
  let count = 0;
  try {
    let chunk = `\uFEFF${CSV_COLUMNS.join(',')}\r\n`;
    for await (const contact of rows) {
      chunk += csvRow(contact);
      count++;
      if (chunk.length < 64 * 1024) continue;
      // A client that goes away never drains: stop reading pages then, too.
      if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      chunk = '';
      if (res.destroyed) {
        ctx.log.info({ rows: count }, 'contacts export aborted by the client');
        return;
      }
    }
    res.end(chunk);
    ctx.log.info({ rows: count }, 'contacts exported');
  } catch (error) {
    // Headers are gone: cutting the connection is the only way to say the file is incomplete.
    ctx.log.error({ err: error, rows: count }, 'contacts export failed');
    res.destroy(error instanceof Error ? error : undefined);
  }
}


import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * The sender fetches URLs that users type, so every check here stands between a user and the
 * internal network (ADR 072). Two places check addresses:
 * - the URL itself, after WHATWG parsing (which turns `2130706433`, `0177.0.0.1` or `0x7f.1` into
 *   `127.0.0.1`): Node never calls a lookup hook for an IP-literal host, so literals are checked
 *   here, at creation and before every attempt;
 * - `guardedLookup`, the undici Agent's `connect.lookup`: the address actually dialled, at connect
 *   time, so a name that resolved to a public address at creation and to 127.0.0.1 now (DNS
 *   rebinding) is refused.
 */
export interface UrlPolicy {
  /** `http:` accepted (outside production only). */
  allowHttp: boolean;
  /** WEBHOOK_ALLOW_PRIVATE: no address or port check (development and tests only: local receivers listen anywhere). */
  allowPrivate: boolean;
}

/** How host names are resolved: the system resolver, or a stub in tests. */
export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export type RefusalReason = 'invalid_url' | 'scheme' | 'credentials' | 'port' | 'address' | 'unresolvable';

export class UnsafeUrlError extends Error {
  readonly reason: RefusalReason;
  /** Set on refusals at connect time; undici wraps the error, and the sender looks for the code. */
  readonly code = 'EWEBHOOKREFUSED';
  constructor(reason: RefusalReason, message: string) {
    super(message);
    this.name = 'UnsafeUrlError';
    this.reason = reason;
  }
}

/** Only global unicast: ipaddr.js names every special range (loopback, private, linkLocal,
 * carrierGradeNat, multicast, broadcast, unspecified, reserved — benchmarking, documentation and
 * 240/4 among them —, uniqueLocal, rfc6052 NAT64, 6to4, teredo, …); `process` first turns
 * IPv4-mapped IPv6 (`::ffff:127.0.0.1`) into the IPv4 address it carries. */
export function isAllowedAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

const ALLOWED_PORTS = (port: number) => port === 80 || port === 443 || (port >= 8000 && port <= 9999);

/** The URL's literal address, if its host is one (IPv6 without brackets), else null. */
function literalAddress(url: URL): string | null {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) ? host : null;
}

/** The checks that need no DNS: scheme, credentials, port, and an IP-literal host. */
export function parseEndpointUrl(input: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new UnsafeUrlError('invalid_url', 'Enter a full URL, like https://example.com/webhooks.');
  }
  if (url.protocol !== 'https:' && !(policy.allowHttp && url.protocol === 'http:')) {
    throw new UnsafeUrlError('scheme', policy.allowHttp ? 'The URL must start with https:// or http://.' : 'The URL must start with https://.');
  }
  if (url.username || url.password) throw new UnsafeUrlError('credentials', 'The URL must not contain a user name or password.');
  if (url.port !== '' && !policy.allowPrivate && !ALLOWED_PORTS(Number(url.port))) throw new UnsafeUrlError('port', 'The port must be 80, 443 or between 8000 and 9999.');
  const literal = literalAddress(url);
  if (literal && !policy.allowPrivate && !isAllowedAddress(literal)) {
    throw new UnsafeUrlError('address', 'This address is private or reserved; webhooks go to public internet addresses only.');
  }
  return url;
}

/** At creation and update: the static checks, then every address the host resolves to. */
export async function checkEndpointUrl(input: string, policy: UrlPolicy, resolve: Resolver = systemResolver): Promise<URL> {
  const url = parseEndpointUrl(input, policy);
  if (policy.allowPrivate || literalAddress(url)) return url;
  let addresses: { address: string }[];
  try {
    addresses = await resolve(url.hostname);
  } catch {
    throw new UnsafeUrlError('unresolvable', 'This host name does not resolve.');
  }
  if (addresses.length === 0) throw new UnsafeUrlError('unresolvable', 'This host name does not resolve.');
  if (addresses.some((entry) => !isAllowedAddress(entry.address))) {
    throw new UnsafeUrlError('address', 'This host resolves to a private or reserved address; webhooks go to public internet addresses only.');
  }
  return url;
}

/**
 * The `lookup` of the sender's connections (net/tls `connect`): resolves, and refuses when any
 * address is not global unicast — all of them, not just the first, since the connection may try
 * several (happy eyeballs). Answers both shapes Node asks for (`all: true` or a single address).
 */
export function guardedLookup(resolve: Resolver, policy: Pick<UrlPolicy, 'allowPrivate'>): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (found) => {
        const family = typeof options.family === 'number' ? options.family : 0;
        const addresses = found.filter((entry) => family === 0 || entry.family === family);
        if (addresses.length === 0) {
          callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
          return;
        }
        if (!policy.allowPrivate && addresses.some((entry) => !isAllowedAddress(entry.address))) {
          callback(new UnsafeUrlError('address', 'the host resolved to a private or reserved address'), '', 0);
          return;
        }
        if (options.all) (callback as unknown as (error: null, addresses: { address: string; family: number }[]) => void)(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

import ipaddr from 'ipaddr.js';

/**
 * How wide a net one client is counted under. One IPv6 host is routinely given a whole /64 (and a
 * customer a /56), so rotating addresses inside it must not buy fresh budgets: per-address policies
 * count IPv6 clients by /64, daily caps by /56. IPv4 (and IPv4-mapped IPv6) counts by address.
 */
export type ClientScope = 'address' | 'network';

const PREFIX: Record<ClientScope, number> = { address: 64, network: 56 };

/** Keys computed lately, per scope: every call needs one or two, and parsing an address twice per call showed in profiles. */
const MAX_REMEMBERED = 10_000;
const remembered: Record<ClientScope, Map<string, string>> = { address: new Map(), network: new Map() };

/** The rate-limit and lockout key of a client address; the one place addresses become keys. */
export function clientKey(ip: string | null | undefined, scope: ClientScope = 'address'): string {
  if (!ip) return 'ip:unknown';
  const known = remembered[scope];
  let key = known.get(ip);
  if (key === undefined) {
    key = keyOf(ip, scope);
    // Oldest first out: addresses rotating through a /64 cannot grow this past its bound.
    if (known.size >= MAX_REMEMBERED) known.delete(known.keys().next().value!);
    known.set(ip, key);
  }
  return key;
}

function keyOf(ip: string, scope: ClientScope): string {
  if (!ipaddr.isValid(ip)) return 'ip:unknown';
  const address = ipaddr.process(ip); // IPv4-mapped IPv6 becomes IPv4
  if (address.kind() === 'ipv4') return `ip:${address.toString()}`;
  const prefix = PREFIX[scope];
  const parts = (address as ipaddr.IPv6).parts.slice();
  for (let bit = prefix; bit < 128; bit += 16) {
    const index = bit >> 4;
    const keep = Math.max(0, prefix - index * 16);
    parts[index] = keep === 0 ? 0 : (parts[index]! >> (16 - keep)) << (16 - keep);
  }
  return `ip6:${new ipaddr.IPv6(parts).toNormalizedString()}/${prefix}`;
}

import ipaddr from 'ipaddr.js';

/**
 * How wide a net one client is counted under. One IPv6 host is routinely given a whole /64 (and a
 * customer a /56), so rotating addresses inside it must not buy fresh budgets: per-address policies
 * count IPv6 clients by /64, daily caps by /56. IPv4 (and IPv4-mapped IPv6) counts by address.
 */
export type ClientScope = 'address' | 'network';

const PREFIX: Record<ClientScope, number> = { address: 64, network: 56 };

/** The rate-limit and lockout key of a client address; the one place addresses become keys. */
export function clientKey(ip: string | null | undefined, scope: ClientScope = 'address'): string {
  if (!ip || !ipaddr.isValid(ip)) return 'ip:unknown';
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

import { describe, expect, it } from 'vitest';
import { startReceiver } from '../../../../../test/helpers/webhook-receiver.ts';
import { createWebhookSender } from './sender.ts';
import { checkEndpointUrl, isAllowedAddress, parseEndpointUrl, systemResolver, UnsafeUrlError, type Resolver, type UrlPolicy } from './ssrf-guard.ts';

const STRICT: UrlPolicy = { allowHttp: true, allowPrivate: false };
const PRODUCTION: UrlPolicy = { allowHttp: false, allowPrivate: false };
const PUBLIC = '93.184.215.14';

/** A resolver stub: the production checks run on whatever addresses it answers. */
const answering =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

async function refusal(url: string, policy: UrlPolicy = STRICT, resolve: Resolver = answering(PUBLIC)) {
  try {
    await checkEndpointUrl(url, policy, resolve);
  } catch (error) {
    if (error instanceof UnsafeUrlError) return error.reason;
    throw error;
  }
  return null;
}

describe('the SSRF guard: addresses', () => {
  const refused = [
    ['loopback', '127.0.0.1'],
    ['loopback, elsewhere in 127/8', '127.1.2.3'],
    ['private 10/8', '10.0.0.1'],
    ['private 172.16/12', '172.16.5.4'],
    ['private 172.31', '172.31.255.255'],
    ['private 192.168/16', '192.168.1.1'],
    ['link-local', '169.254.1.1'],
    ['cloud metadata', '169.254.169.254'],
    ['CGNAT 100.64/10', '100.64.0.1'],
    ['multicast', '224.0.0.251'],
    ['broadcast', '255.255.255.255'],
    ['unspecified', '0.0.0.0'],
    ['this network 0/8', '0.1.2.3'],
    ['benchmarking 198.18/15', '198.18.0.1'],
    ['documentation 192.0.2/24', '192.0.2.10'],
    ['documentation 198.51.100/24', '198.51.100.7'],
    ['documentation 203.0.113/24', '203.0.113.9'],
    ['reserved 240/4', '240.0.0.1'],
    ['IPv6 loopback', '::1'],
    ['IPv6 unspecified', '::'],
    ['ULA fc00::/7', 'fc00::1'],
    ['ULA fd', 'fd12:3456::1'],
    ['IPv6 link-local', 'fe80::1'],
    ['IPv6 multicast', 'ff02::1'],
    ['NAT64 64:ff9b::/96', '64:ff9b::7f00:1'],
    ['IPv6 documentation', '2001:db8::1'],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
    ['IPv4-mapped private', '::ffff:10.0.0.1'],
    ['IPv4-mapped metadata', '::ffff:169.254.169.254'],
    ['IPv4-mapped, hex form', '::ffff:7f00:1'],
    ['6to4 wrapping loopback', '2002:7f00:1::1'],
    ['Teredo', '2001::1'],
  ];
  it.each(refused)('refuses %s (%s)', (_name, address) => {
    expect(isAllowedAddress(address)).toBe(false);
  });

  it.each([['8.8.8.8'], [PUBLIC], ['2606:4700:4700::1111'], ['::ffff:8.8.8.8']])('allows global unicast %s', (address) => {
    expect(isAllowedAddress(address)).toBe(true);
  });
});

describe('the SSRF guard: URLs at creation', () => {
  it.each([
    ['http://127.0.0.1:8080/'],
    ['http://2130706433:8080/'],
    ['http://0177.0.0.1:8080/'],
    ['http://0x7f.0.0.1:8080/'],
    ['http://0x7f000001:8080/'],
    ['http://127.1:8080/'],
    ['http://[::1]:8080/'],
    ['http://[::ffff:127.0.0.1]:8080/'],
    ['http://[::ffff:7f00:1]:8080/'],
    ['http://[64:ff9b::a9fe:a9fe]/'],
    ['http://169.254.169.254/latest/meta-data/'],
    ['http://[fd00::1]/'],
    ['http://10.1.2.3/'],
  ])('refuses the IP literal %s after WHATWG normalisation, before any lookup', async (url) => {
    let looked = false;
    expect(
      await refusal(url, STRICT, async () => {
        looked = true;
        return [{ address: PUBLIC, family: 4 }];
      }),
    ).toBe('address');
    expect(looked).toBe(false);
  });

  it('refuses a host name that resolves to 127.0.0.1, or to any private address among public ones', async () => {
    expect(await refusal('http://loopback.example.test:8080/', STRICT, answering('127.0.0.1'))).toBe('address');
    expect(await refusal('https://mixed.example.test/', STRICT, answering(PUBLIC, '10.0.0.7'))).toBe('address');
    expect(await refusal('https://v6.example.test/', STRICT, answering('::ffff:192.168.0.1'))).toBe('address');
    expect(await refusal('https://nowhere.example.test/', STRICT, async () => Promise.reject(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' })))).toBe('unresolvable');
    // The real resolver: localhost is loopback.
    expect(await refusal('http://localhost:8080/', STRICT, systemResolver)).toBe('address');
  });

  it('refuses credentials, other schemes and ports outside 80, 443 and 8000–9999', async () => {
    expect(await refusal('https://user:pass@example.com/')).toBe('credentials');
    expect(await refusal('https://user@example.com/')).toBe('credentials');
    expect(await refusal('ftp://example.com/')).toBe('scheme');
    expect(await refusal('file:///etc/passwd')).toBe('scheme');
    expect(await refusal('https://example.com:22/')).toBe('port');
    expect(await refusal('https://example.com:7999/')).toBe('port');
    expect(await refusal('https://example.com:10000/')).toBe('port');
    expect(await refusal('not a url')).toBe('invalid_url');
    for (const ok of ['https://example.com/', 'https://example.com:443/', 'http://example.com:80/', 'https://example.com:8000/', 'https://example.com:9999/']) expect(await refusal(ok)).toBeNull();
  });

  it('accepts only https in production', async () => {
    expect(await refusal('http://example.com/', PRODUCTION)).toBe('scheme');
    expect(await refusal('https://example.com/', PRODUCTION)).toBeNull();
  });

  it('lifts the address check with WEBHOOK_ALLOW_PRIVATE (development, tests)', async () => {
    const open: UrlPolicy = { allowHttp: true, allowPrivate: true };
    expect(await refusal('http://127.0.0.1:45678/', open)).toBeNull();
    expect(parseEndpointUrl('http://[::1]:8080/', open).hostname).toBe('[::1]');
    // Never credentials, whatever the flag.
    expect(await refusal('http://a:b@127.0.0.1/', open)).toBe('credentials');
  });
});

describe('the SSRF guard: at connect time', () => {
  it('refuses to dial a host name whose lookup now answers 127.0.0.1 (DNS rebinding); the receiver hears nothing', async () => {
    const receiver = await startReceiver({ portRange: [8000, 9999] });
    // The creation check saw a public address; at connect time the same name answers loopback.
    let lookups = 0;
    const rebinding: Resolver = async () => [{ address: lookups++ === 0 ? PUBLIC : '127.0.0.1', family: 4 }];
    const sender = createWebhookSender(STRICT, rebinding);
    const url = `http://rebind.example.test:${receiver.port}/hook`;
    try {
      await expect(checkEndpointUrl(url, STRICT, rebinding)).resolves.toBeInstanceOf(URL);
      const result = await sender.send({ url, body: '{}', headers: {} });
      expect(result).toMatchObject({ ok: false, status: null });
      expect(result.excerpt).toMatch(/private or reserved/);
      expect(lookups).toBe(2);
      expect(receiver.received).toHaveLength(0);
      // The same name and port, answered the same way, are reachable once the flag lifts the check: it was the guard.
      const open = createWebhookSender({ allowHttp: true, allowPrivate: true }, answering('127.0.0.1'));
      expect((await open.send({ url, body: '{}', headers: {} })).status).toBe(200);
      await open.close();
      expect(receiver.received).toHaveLength(1);
    } finally {
      await sender.close();
      await receiver.close();
    }
  });

  it('dials the loopback receiver once the flag lifts the check, through the same lookup', async () => {
    const receiver = await startReceiver();
    const sender = createWebhookSender({ allowHttp: true, allowPrivate: true }, answering('127.0.0.1'));
    try {
      const result = await sender.send({ url: `http://receiver.example.test:${receiver.port}/hook`, body: '{"a":1}', headers: { 'content-type': 'application/json' } });
      expect(result).toMatchObject({ ok: true, status: 200, excerpt: 'ok' });
      expect(receiver.received).toHaveLength(1);
    } finally {
      await sender.close();
      await receiver.close();
    }
  });

  it('refuses an IP-literal URL before sending, whatever was stored', async () => {
    const receiver = await startReceiver();
    const sender = createWebhookSender(STRICT, answering(PUBLIC));
    try {
      for (const url of [`http://127.0.0.1:${receiver.port}/`, `http://2130706433:${receiver.port}/`, `http://[::ffff:127.0.0.1]:${receiver.port}/`]) {
        const result = await sender.send({ url, body: '{}', headers: {} });
        expect(result.ok).toBe(false);
        expect(result.excerpt).toMatch(/^Refused/);
      }
      expect(receiver.received).toHaveLength(0);
    } finally {
      await sender.close();
      await receiver.close();
    }
  });
});

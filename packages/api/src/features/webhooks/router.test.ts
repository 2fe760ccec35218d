import { describe, expect, it } from 'vitest';
import { appRouter } from '../../root.ts';
import type { Meta } from '../../trpc.ts';

const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { meta?: Meta } }>).filter(([path]) => path.startsWith('webhooks.'));

describe('the webhooks router', () => {
  it('keeps the contract names', () => {
    expect(procedures.map(([path]) => path).sort()).toEqual(
      [
        'webhooks.deliveries.list',
        'webhooks.deliveries.replay',
        'webhooks.endpoints.create',
        'webhooks.endpoints.delete',
        'webhooks.endpoints.get',
        'webhooks.endpoints.list',
        'webhooks.endpoints.rotateSecret',
        'webhooks.endpoints.test',
        'webhooks.endpoints.update',
        'webhooks.eventTypes',
      ].sort(),
    );
  });

  it.each(procedures)('%s needs a verified account, the webhooks:manage scope and a webhooks policy', (_path, procedure) => {
    expect(procedure._def.meta).toMatchObject({ access: 'verified', scopes: ['webhooks:manage'] });
    expect(procedure._def.meta?.rateLimit).toMatch(/^webhooks\./);
  });
});

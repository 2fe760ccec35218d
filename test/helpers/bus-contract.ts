import { expect } from 'vitest';
import type { InvalidationBus } from '@bastion/api';

/**
 * What every InvalidationBus must do, for the tests of each transport: a message published on one
 * bus reaches the other bus's subscribers of that channel only, and bad channel names are refused.
 */
export async function expectBusDelivers(publisher: InvalidationBus, subscriber: InvalidationBus): Promise<void> {
  const received: string[] = [];
  await subscriber.subscribe('session_revoked', (payload) => received.push(payload));
  await publisher.publish('session_revoked', 'session-1');
  await publisher.publish('other_channel', 'ignored');
  const deadline = Date.now() + 5_000;
  while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(received).toEqual(['session-1']);
  await expect(publisher.publish('Bad Channel;', 'x')).rejects.toThrow(/invalid channel/);
}

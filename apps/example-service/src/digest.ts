import type { BastionClient, RouterOutputs } from '@bastion/client';

type Contact = RouterOutputs['contacts']['list']['items'][number];

export interface Digest {
  generatedAt: string;
  total: number;
  newest: Pick<Contact, 'id' | 'name' | 'email' | 'company' | 'createdAt'>[];
  /** The five most used tags, most used first. */
  topTags: { tag: string; count: number }[];
}

const PAGE = 100;
/** A runaway cursor (a server bug) must not keep a nightly job paging forever. */
const MAX_PAGES = 10_000;

/** Walks every contact of the key's owner, newest first, and sums them up. */
export async function buildDigest(client: BastionClient, { newest }: { newest: number }): Promise<Digest> {
  const latest: Digest['newest'] = [];
  const tags = new Map<string, number>();
  let total = 0;
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { items, nextCursor } = await client.contacts.list.query({ limit: PAGE, sort: 'createdAt', direction: 'desc', cursor });
    total += items.length;
    for (const contact of items) {
      if (latest.length < newest) latest.push({ id: contact.id, name: contact.name, email: contact.email, company: contact.company, createdAt: contact.createdAt });
      for (const tag of contact.tags) tags.set(tag, (tags.get(tag) ?? 0) + 1);
    }
    if (!nextCursor) break;
    cursor = nextCursor;
  }
  const topTags = [...tags]
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .slice(0, 5)
    .map(([tag, count]) => ({ tag, count }));
  return { generatedAt: new Date().toISOString(), total, newest: latest, topTags };
}

export function formatDigest(digest: Digest): string {
  const lines = [`Contacts digest ${digest.generatedAt}: ${digest.total} contact${digest.total === 1 ? '' : 's'}`];
  if (digest.newest.length > 0) lines.push(`Newest ${digest.newest.length}:`);
  for (const contact of digest.newest) {
    const details = [contact.email, contact.company].filter(Boolean).join(', ');
    lines.push(`  - ${contact.name}${details ? ` (${details})` : ''}, added ${contact.createdAt}`);
  }
  if (digest.topTags.length > 0) lines.push(`Top tags: ${digest.topTags.map(({ tag, count }) => `${tag} (${count})`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

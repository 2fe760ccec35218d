import type { Database } from '@bastion/db';
import { encodeCursor } from '../../packages/api/src/features/contacts/cursor.ts';
import { listInput } from '../../packages/api/src/features/contacts/list.schema.ts';
import { listQuery } from '../../packages/api/src/features/contacts/service.ts';
import { OWNER } from './contacts-seed.ts';
import { compare, count, ms, ratio, same, table, target } from './measure.ts';

const PAGE = 20;
const RUNS = 40;
/** Keyset must stay flat with depth while OFFSET grows with it. */
const TARGET = 10;
const LABELS = { createdAt: 'newest first', name: 'name A→Z' };
const PAGES = [
  { sort: 'createdAt', depth: 1_000 },
  { sort: 'createdAt', depth: 50_000 },
  { sort: 'createdAt', depth: 90_000 },
  { sort: 'name', depth: 50_000 },
  { sort: 'name', depth: 90_000 },
] as const;
/** The page the ratio line and its target are about: the deepest page of the default sort. */
const HEADLINE = PAGES[2];

/** The row just before `depth`, as the API would have put it in the previous page's cursor. */
async function cursorAt(db: Database, sort: 'createdAt' | 'name', depth: number): Promise<string> {
  const { direction, query } = listQuery(db, OWNER, listInput.parse({ sort, limit: 1 }));
  const [row] = await query.offset(depth - 1);
  return encodeCursor({ sort, direction, key: row!.sortKey, id: row!.id });
}

/**
 * Page N of one owner's contacts: the API's keyset query (the list query with a cursor) against the
 * same query paged with OFFSET, which reads and discards every row before the page.
 */
export async function benchPagination(db: Database): Promise<void> {
  const rows = [['page', 'keyset median', 'keyset p95', 'offset median', 'offset p95', 'offset/keyset']];
  let headline = 0;
  for (const { sort, depth } of PAGES) {
    const cursor = await cursorAt(db, sort, depth);
    const keyset = () => listQuery(db, OWNER, listInput.parse({ sort, cursor, limit: PAGE })).query;
    const offset = () => listQuery(db, OWNER, listInput.parse({ sort, limit: PAGE })).query.offset(depth);
    same(`${sort} page at ${depth}`, (await offset()).map((row) => row.id), (await keyset()).map((row) => row.id));

    const stats = await compare({ keyset, offset }, { warmup: 3, runs: RUNS });
    rows.push([
      `${LABELS[sort]}, rows ${count(depth)}–${count(depth + PAGE)}`,
      ms(stats.keyset.median),
      ms(stats.keyset.p95),
      ms(stats.offset.median),
      ms(stats.offset.p95),
      ratio(stats.offset.median, stats.keyset.median),
    ]);
    if (sort === HEADLINE.sort && depth === HEADLINE.depth) headline = stats.offset.median / stats.keyset.median;
  }
  console.log(table(rows));
  console.log(`ratio: OFFSET is ${headline.toFixed(1)}× slower than keyset at row ${count(HEADLINE.depth)} (${LABELS[HEADLINE.sort]}, median of ${RUNS} runs); ${target(headline, TARGET)}`);
}

import type { Database, DbHandle } from '@bastion/db';
import { listInput } from '../../packages/api/src/features/contacts/list.schema.ts';
import { listQuery } from '../../packages/api/src/features/contacts/service.ts';
import { OWNER } from './contacts-seed.ts';
import { BenchmarkInvalid, compare, ms, ratio, same, table, target } from './measure.ts';

const RUNS = 25;
const TARGET = 5;
const TERMS = [
  ['name', 'Contact 4242'],
  ['email', 'c777@exa'],
  ['company', 'company 99'],
] as const;

/** Planner switches that leave a sequential scan as the only way to read contacts. */
const NO_INDEXES = ['enable_indexscan', 'enable_bitmapscan', 'enable_indexonlyscan'];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

/** How the plan reads contacts, e.g. "Bitmap Index Scan contacts_search_trgm_idx". */
async function accessPath(handle: DbHandle, search: string): Promise<string> {
  const { sql: text, params } = listQuery(handle.db, OWNER, listInput.parse({ search })).query.toSQL();
  const [row] = await handle.sql.unsafe(`explain (format json) ${text}`, params as never[]);
  const plan = nodes((row!['QUERY PLAN'] as [{ Plan: PlanNode }])[0].Plan);
  return plan
    .filter((node) => node['Relation Name'] === 'contacts' || node['Index Name']?.startsWith('contacts'))
    .map((node) => [node['Node Type'], node['Index Name']].filter(Boolean).join(' '))
    .join(' + ');
}

/**
 * The API's search (first page, newest first) as planned with the trigram index, against the same
 * query on a connection whose planner may not use any index.
 */
export async function benchSearch(indexed: DbHandle, unindexed: DbHandle): Promise<void> {
  for (const setting of NO_INDEXES) await unindexed.sql.unsafe(`set ${setting} = off`);
  const search = (db: Database, term: string) => () => listQuery(db, OWNER, listInput.parse({ search: term })).query;

  const rows = [['search', 'plan (indexed)', 'indexed median', 'indexed p95', 'seq median', 'seq p95', 'seq/indexed']];
  const ratios: number[] = [];
  for (const [field, term] of TERMS) {
    const plans = { indexed: await accessPath(indexed, term), seq: await accessPath(unindexed, term) };
    if (plans.indexed.includes('Seq Scan') || plans.seq !== 'Seq Scan') throw new BenchmarkInvalid(`search "${term}": unexpected plans ${JSON.stringify(plans)}`);
    const subjects = { indexed: search(indexed.db, term), seq: search(unindexed.db, term) };
    same(`search "${term}"`, (await subjects.indexed()).map((row) => row.id), (await subjects.seq()).map((row) => row.id));

    const stats = await compare(subjects, { warmup: 2, runs: RUNS });
    ratios.push(stats.seq.median / stats.indexed.median);
    rows.push([`${field} "${term}"`, plans.indexed, ms(stats.indexed.median), ms(stats.indexed.p95), ms(stats.seq.median), ms(stats.seq.p95), ratio(stats.seq.median, stats.indexed.median)]);
  }
  // The settings must have held on the single connection throughout, or "seq" was not a seq scan.
  if ((await accessPath(unindexed, TERMS[0][1])) !== 'Seq Scan') throw new BenchmarkInvalid('the no-index session settings were lost');
  console.log(table(rows));
  const least = Math.min(...ratios);
  console.log(
    `ratio: a sequential scan is ${least.toFixed(1)}–${Math.max(...ratios).toFixed(1)}× slower than the indexed search over 100 000 contacts (median of ${RUNS} runs); ${target(least, TARGET)}`,
  );
}

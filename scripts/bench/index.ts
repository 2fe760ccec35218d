// Benchmarks: each compares the real code path against a comparator measured in the same run and
// reports the ratio (speed targets live here, never as timed assertions in tests).
//   pnpm bench                      all of them
//   pnpm bench search preferences   some of them
import { cpus } from 'node:os';
import { loadConfig } from '@bastion/api';
import { benchPagination } from './contacts-pagination.ts';
import { benchSearch } from './contacts-search.ts';
import { seedContacts } from './contacts-seed.ts';
import { benchDatabase, type BenchDatabase } from './database.ts';
import { benchPreferences } from './preferences-cache.ts';

const BENCHMARKS: Record<string, { title: string; contacts?: boolean; run: (database: BenchDatabase) => Promise<void> }> = {
  pagination: {
    title: 'Contacts pagination at depth: keyset (API) vs OFFSET',
    contacts: true,
    run: (database) => benchPagination(database.connect().db),
  },
  search: {
    title: 'Contacts search: trigram index (API) vs sequential scan',
    contacts: true,
    run: (database) => benchSearch(database.connect(1), database.connect(1)),
  },
  preferences: {
    title: 'Preferences reads: PreferencesStore cache vs a database read per call',
    run: (database) => benchPreferences(database.connect()),
  },
};

const selected = process.argv.slice(2);
const unknown = selected.filter((name) => !(name in BENCHMARKS));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHMARKS).join(', ')}`);
  process.exit(2);
}
const names = selected.length ? selected : Object.keys(BENCHMARKS);

const config = loadConfig();
const started = process.hrtime.bigint();
const database = await benchDatabase(config.db.url);
try {
  console.log(`PostgreSQL ${config.db.url ? 'at DATABASE_URL (throwaway database)' : 'embedded'}, Node ${process.version}, ${cpus().length} CPUs`);
  if (names.some((name) => BENCHMARKS[name]!.contacts)) {
    const seeding = database.connect(1);
    await seedContacts(seeding.sql);
    await seeding.close();
  }
  for (const name of names) {
    console.log(`\n## ${BENCHMARKS[name]!.title}\n`);
    await BENCHMARKS[name]!.run(database);
  }
} finally {
  await database.close();
}
console.log(`\ndone in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(0)} s`);

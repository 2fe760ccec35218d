// The embedded PostgreSQL in a process of its own, for `pnpm cluster`: started in its own process
// group, Ctrl-C at the terminal does not reach it, so it stops last, after every process using it.
// Prints `ready <url>` once it accepts connections; SIGTERM stops it.
import { startEmbeddedPostgres } from '@bastion/db/embedded';

const [dataDir, port] = process.argv.slice(2);
const embedded = await startEmbeddedPostgres({ dataDir: dataDir!, port: port ? Number(port) : undefined });
console.log(`ready ${embedded.url}`);
process.once('SIGTERM', () => {
  void embedded.stop().finally(() => process.exit(0));
});

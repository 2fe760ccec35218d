import { exitOnSignal, loadConfigOrExit, tuneHeap } from './process.ts';
import { startServer } from './server.ts';

async function main() {
  const config = loadConfigOrExit();
  tuneHeap(config);
  const server = await startServer({ config });
  exitOnSignal(server.deps.logger, server.close);
}

main().catch((error: unknown) => {
  console.error('bastion failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});

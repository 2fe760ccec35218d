import { exitOnSignal, loadConfigOrExit } from './process.ts';
import { startServer } from './server.ts';

async function main() {
  const server = await startServer({ config: loadConfigOrExit() });
  exitOnSignal(server.deps.logger, server.close);
}

main().catch((error: unknown) => {
  console.error('bastion failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});

import { writeFile } from 'node:fs/promises';
import { createBastionClient, isBastionError } from '@bastion/client';
import { ConfigError, readConfig } from './config.ts';
import { buildDigest, formatDigest } from './digest.ts';

/**
 * One run of the nightly contacts digest (schedule it with cron, a systemd timer or a Kubernetes
 * CronJob). Exit 0: digest written; 1: the API call failed; 2: the configuration is invalid.
 */
async function main(): Promise<number> {
  let config;
  try {
    config = readConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return 2;
  }
  const client = createBastionClient({ baseUrl: config.baseUrl, ...config.credential, timeoutMs: config.timeoutMs });
  try {
    const digest = await buildDigest(client, { newest: config.newest });
    if (config.outputPath) await writeFile(config.outputPath, `${JSON.stringify(digest, null, 2)}\n`);
    process.stdout.write(formatDigest(digest));
    return 0;
  } catch (error) {
    if (!isBastionError(error)) throw error;
    // The request id finds the server's log line for this failure; never print the credential.
    console.error(`digest failed: ${error.code} (${error.reason}) after ${error.attempts} attempt(s), request id ${error.requestId}: ${error.message}`);
    return 1;
  }
}

process.exitCode = await main();

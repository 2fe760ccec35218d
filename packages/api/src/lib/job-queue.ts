import { sql } from 'drizzle-orm';
import { fromDrizzle, PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { Transaction } from '@bastion/db';
import { tracingEnabled } from './tracing/index.ts';

/** pg-boss keeps its tables in this schema of the application's database. */
export const JOB_SCHEMA = 'pgboss';

/** What a procedure needs: put a job on a queue. The job runs later, in some worker process. */
export interface JobQueue {
  send(queue: string, data: object, options?: SendJobOptions): Promise<void>;
}

export interface SendJobOptions {
  /** Not before this time (a retry schedule of our own: one job per attempt). */
  startAfter?: Date;
  /** The job's group: the queue's `groupConcurrency` bounds the jobs of one group running at once, across all workers. */
  group?: string;
  /** Insert the job inside this transaction: it exists exactly when the transaction commits. */
  tx?: Transaction;
  /** With an `exclusive` queue: at most one job of this key queued or active; a second send is a no-op. */
  singletonKey?: string;
}

export interface QueueDefinition {
  name: string;
  /** Failed runs are retried this often, after retryDelay·2ⁿ seconds (with jitter), at most retryDelayMax. */
  retryLimit: number;
  retryDelay: number;
  retryDelayMax: number;
  /** Completed jobs (whose data may hold email addresses) are deleted this soon. */
  deleteAfterSeconds: number;
  /** A cron expression (UTC): pg-boss creates one job per occurrence, across all instances. */
  schedule?: string;
  /** An active job is retried after this long (default 15 minutes). */
  expireInSeconds?: number;
  /** A worker heartbeats its jobs this often (≥ 10): a job whose worker died is retried after it (on the next supervise pass). */
  heartbeatSeconds?: number;
  /** Jobs run at once in one process (default 1), and per group across all processes. */
  localConcurrency?: number;
  groupConcurrency?: number;
  /** `exclusive`: one job per `singletonKey` queued or active at once (default `standard`). */
  policy?: 'standard' | 'exclusive';
}

export interface JobWorker<T> {
  queue: QueueDefinition;
  /** `job.id` stays the same across retries: work that must happen once per job keys on it. */
  handle(data: T, job: { id: string }): Promise<void>;
}

export interface RunningJobs {
  queue: JobQueue;
  /** Stops fetching, waits up to `timeoutMs` for running jobs to finish, then closes the pool. */
  stop(timeoutMs: number): Promise<void>;
}

/**
 * Starts pg-boss on the application's database, creates the queues and, when `workers` is given,
 * processes them in this process. Workers are woken by LISTEN/NOTIFY as soon as a job is sent.
 */
export async function startJobs(options: {
  url: string;
  logger: Logger;
  queues: QueueDefinition[];
  workers?: JobWorker<never>[];
  /** Where `bastion_jobs_total{queue,outcome}` is counted (a worker's runs: succeeded, failed, dead). */
  metrics?: Registry;
  /** How often this instance expires jobs of dead workers and runs pg-boss maintenance (default 60 s). */
  superviseIntervalSeconds?: number;
}): Promise<RunningJobs> {
  const log = options.logger.child({ component: 'jobs' });
  const runs = options.workers?.length && options.metrics ? jobRunsCounter(options.metrics) : undefined;
  const supervise = options.superviseIntervalSeconds ?? 60;
  const boss = new PgBoss({
    connectionString: options.url,
    schema: JOB_SCHEMA,
    max: 3,
    application_name: 'bastion-jobs',
    useListenNotify: true,
    superviseIntervalSeconds: supervise,
    monitorIntervalSeconds: supervise,
    // pg-boss's own spans (send, process) with the sender's trace context stored on the job, so a
    // job's work continues the request's trace (ADR 110); off, it creates no spans at all.
    openTelemetry: tracingEnabled() ? { enabled: true, propagateContext: true } : { enabled: false },
  });
  // pg-boss reports background failures as events; without a listener they would crash the process.
  boss.on('error', (error) => log.error({ err: error }, 'job queue error'));
  await boss.start();
  for (const queue of options.queues) {
    await boss.createQueue(queue.name, {
      retryLimit: queue.retryLimit,
      retryDelay: queue.retryDelay,
      retryBackoff: true,
      retryDelayMax: queue.retryDelayMax,
      deleteAfterSeconds: queue.deleteAfterSeconds,
      ...(queue.expireInSeconds ? { expireInSeconds: queue.expireInSeconds } : {}),
      ...(queue.heartbeatSeconds ? { heartbeatSeconds: queue.heartbeatSeconds } : {}),
      notify: true,
      ...(queue.policy ? { policy: queue.policy } : {}),
    });
  }
  for (const worker of options.workers ?? []) {
    // NOTIFY wakes a worker for new jobs only; retries become due silently, hence the short poll.
    const concurrency = {
      ...(worker.queue.localConcurrency ? { localConcurrency: worker.queue.localConcurrency } : {}),
      ...(worker.queue.groupConcurrency ? { groupConcurrency: worker.queue.groupConcurrency } : {}),
    };
    await boss.work<unknown>(worker.queue.name, { batchSize: 1, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 2, ...concurrency }, async ([job]) => {
      if (!job) return;
      try {
        await worker.handle(job.data as never, { id: job.id });
        runs?.inc({ queue: worker.queue.name, outcome: 'succeeded' });
        log.info({ queue: worker.queue.name, jobId: job.id }, 'job done');
      } catch (error) {
        // The last allowed run failed: pg-boss keeps the job as failed and will not run it again.
        const dead = job.retryCount >= worker.queue.retryLimit;
        runs?.inc({ queue: worker.queue.name, outcome: dead ? 'dead' : 'failed' });
        // Only the error: job data may hold addresses.
        if (dead) log.error({ queue: worker.queue.name, jobId: job.id, err: error, retryCount: job.retryCount }, 'job failed for the last time; it will not be retried');
        else log.warn({ queue: worker.queue.name, jobId: job.id, err: error }, 'job failed; it will be retried');
        throw error;
      }
    });
  }
  // Schedules live in the database: whichever process has the worker keeps them current.
  for (const worker of options.workers ?? []) if (worker.queue.schedule) await boss.schedule(worker.queue.name, worker.queue.schedule);
  if (options.workers?.length) log.info({ queues: options.workers.map((w) => w.queue.name) }, 'workers started');
  return {
    queue: {
      async send(queue, data, sendOptions = {}) {
        const id = await boss.send(queue, data, {
          ...(sendOptions.startAfter ? { startAfter: sendOptions.startAfter } : {}),
          ...(sendOptions.group ? { group: { id: sendOptions.group } } : {}),
          ...(sendOptions.singletonKey ? { singletonKey: sendOptions.singletonKey } : {}),
          // pg-boss's own drizzle adapter: the job row commits or rolls back with the caller's writes.
          ...(sendOptions.tx ? { db: fromDrizzle(sendOptions.tx, sql) } : {}),
        });
        // A singleton's job already waiting or running is the one asked for.
        if (!id && !sendOptions.singletonKey) throw new Error(`job not accepted by queue ${queue}`);
      },
    },
    stop: (timeoutMs) => boss.stop({ graceful: true, close: true, timeout: Math.max(timeoutMs, 1000) }),
  };
}

const counters = new WeakMap<Registry, Counter<'queue' | 'outcome'>>();

/** One counter per registry: a test process may start several job runners on one registry. */
function jobRunsCounter(registry: Registry): Counter<'queue' | 'outcome'> {
  let counter = counters.get(registry);
  if (!counter) {
    counter = new Counter({
      name: 'bastion_jobs_total',
      help: 'Job runs by queue and outcome (succeeded; failed: retried later; dead: the last retry failed)',
      labelNames: ['queue', 'outcome'] as const,
      registers: [registry],
    });
    counters.set(registry, counter);
  }
  return counter;
}

import { Counter, Histogram, type Registry } from 'prom-client';

export interface WebhookMetrics {
  /** Every attempt, by what it led to: succeeded, failed (a retry is scheduled) or dead. */
  attempts: Counter<'outcome'>;
  attemptDuration: Histogram<'outcome'>;
  deadLetters: Counter;
  endpointsDisabled: Counter<'reason'>;
  eventsDispatched: Counter;
}

const byRegistry = new WeakMap<Registry, WebhookMetrics>();

/** One set per registry: the API process (test sends) and its in-process workers share it. */
export function webhookMetrics(registry: Registry): WebhookMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    metrics = {
      attempts: new Counter({ name: 'bastion_webhook_deliveries_total', help: 'Webhook delivery attempts by outcome (succeeded|failed|dead)', labelNames: ['outcome'] as const, registers: [registry] }),
      attemptDuration: new Histogram({
        name: 'bastion_webhook_attempt_duration_seconds',
        help: 'Webhook delivery attempt latency by outcome',
        labelNames: ['outcome'] as const,
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
        registers: [registry],
      }),
      deadLetters: new Counter({ name: 'bastion_webhook_dead_letters_total', help: 'Webhook deliveries that gave up after the whole retry schedule', registers: [registry] }),
      endpointsDisabled: new Counter({ name: 'bastion_webhook_endpoints_disabled_total', help: 'Webhook endpoints disabled automatically, by reason (gone|failing)', labelNames: ['reason'] as const, registers: [registry] }),
      eventsDispatched: new Counter({ name: 'bastion_webhook_events_dispatched_total', help: 'Outbox events fanned out to webhook deliveries', registers: [registry] }),
    };
    byRegistry.set(registry, metrics);
  }
  return metrics;
}

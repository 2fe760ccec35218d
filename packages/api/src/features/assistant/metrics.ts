import { Counter, Histogram, type Registry } from 'prom-client';

export interface AssistantMetrics {
  latency: Histogram<'provider' | 'mode' | 'outcome'>;
  errors: Counter<'kind'>;
  tokens: Counter<'type'>;
}

export function createAssistantMetrics(registry: Registry): AssistantMetrics {
  return {
    latency: new Histogram({
      name: 'bastion_assistant_request_duration_seconds',
      help: 'Assistant upstream call duration by provider, mode (chat|stream) and outcome',
      labelNames: ['provider', 'mode', 'outcome'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    errors: new Counter({ name: 'bastion_assistant_errors_total', help: 'Assistant calls that failed, by kind (after retries)', labelNames: ['kind'] as const, registers: [registry] }),
    tokens: new Counter({ name: 'bastion_assistant_tokens_total', help: 'Tokens used by the assistant, by type (prompt|completion)', labelNames: ['type'] as const, registers: [registry] }),
  };
}

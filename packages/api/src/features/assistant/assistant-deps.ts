import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AppConfig } from '../../config/index.ts';
import { createLocalProvider } from './local-provider.ts';
import { createAssistantMetrics, type AssistantMetrics } from './metrics.ts';
import { createOpenAiProvider } from './openai-provider.ts';
import type { ChatProvider } from './provider.ts';

/** The process-wide assistant pieces: the provider (with its breaker state) and its metrics. */
export interface AssistantDeps {
  provider: ChatProvider;
  metrics: AssistantMetrics;
}

export function createAssistantDeps({ config, registry, logger }: { config: AppConfig['assistant']; registry: Registry; logger: Logger }): AssistantDeps {
  const metrics = createAssistantMetrics(registry);
  const provider =
    config.provider === 'openai'
      ? createOpenAiProvider({
          config,
          onBreakerStateChange: (state) => logger.warn({ breaker: state }, 'assistant upstream circuit breaker changed state'),
        })
      : createLocalProvider();
  return { provider, metrics };
}

import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace';
import type { TracingConfig } from '../../config/index.ts';
import { traceOutgoingRequests } from './http-client.ts';
import type { TracingHandle, TracingOptions } from './index.ts';

/** Imported only when tracing is on: nothing here loads in a process without an OTLP endpoint. */
export async function startSdk(config: TracingConfig, options: TracingOptions): Promise<TracingHandle> {
  // Metrics stay with Prometheus (/metrics) and logs with pino: the SDK must not start OTLP
  // exporters for either from its defaults.
  process.env.OTEL_METRICS_EXPORTER = 'none';
  process.env.OTEL_LOGS_EXPORTER = 'none';
  const spanProcessors = options.spanProcessors ?? [
    new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${config.endpoint!.replace(/\/+$/, '')}/v1/traces` }) }),
  ];
  const sdk = new NodeSDK({
    serviceName: config.serviceName,
    sampler: samplerOf(config),
    // Trace context only: W3C baggage would let a caller put arbitrary entries into our context.
    textMapPropagator: new W3CTraceContextPropagator(),
    spanProcessors,
    metricReaders: [],
    instrumentations: [],
  });
  sdk.start();
  const stopOutgoing = traceOutgoingRequests();
  return {
    flush: async () => {
      await Promise.all(spanProcessors.map((processor) => processor.forceFlush()));
    },
    shutdown: async () => {
      stopOutgoing();
      await sdk.shutdown();
    },
  };
}

function samplerOf(config: TracingConfig): Sampler {
  const root = (name: string): Sampler =>
    name === 'always_off' ? new AlwaysOffSampler() : name === 'traceidratio' ? new TraceIdRatioBasedSampler(config.samplerArg) : new AlwaysOnSampler();
  if (!config.sampler.startsWith('parentbased_')) return root(config.sampler);
  return new ParentBasedSampler({ root: root(config.sampler.slice('parentbased_'.length)) });
}

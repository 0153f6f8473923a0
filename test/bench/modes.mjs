// What each benchmark mode installs in its worker process, before any
// instrumented library is loaded (the upstream instrumentations patch through
// require hooks, which only see modules required after them).
//
//   off          nothing: no SDK, no instrumentation
//   connmetrics  the four connmetrics instrumentations with a MeterProvider
//   upstream     the four matching @opentelemetry/instrumentation-* with a MeterProvider
//   both         all eight on one MeterProvider
//   experiment   connmetrics, changed at run time by run.mjs --experiment FILE
//
// No TracerProvider is registered: the upstream instrumentations run with the
// API's no-op tracer, the cheapest way they can run. Their cost here is a
// lower bound of what they cost in an application that also traces.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const MODES = ['off', 'connmetrics', 'upstream', 'both'];

/** Per protocol: the connmetrics class and the upstream class, by package and export name. */
export const PROTOCOLS = {
  undici: {
    connmetrics: ['@connmetrics/instrumentation-undici', 'UndiciConnectionInstrumentation'],
    upstream: ['@opentelemetry/instrumentation-undici', 'UndiciInstrumentation'],
  },
  http: {
    connmetrics: ['@connmetrics/instrumentation-http', 'HttpConnectionInstrumentation'],
    upstream: ['@opentelemetry/instrumentation-http', 'HttpInstrumentation'],
  },
  pg: {
    connmetrics: ['@connmetrics/instrumentation-pg', 'PgConnectionInstrumentation'],
    upstream: ['@opentelemetry/instrumentation-pg', 'PgInstrumentation'],
  },
  ioredis: {
    connmetrics: ['@connmetrics/instrumentation-ioredis', 'IORedisConnectionInstrumentation'],
    upstream: ['@opentelemetry/instrumentation-ioredis', 'IORedisInstrumentation'],
  },
  redis: {
    connmetrics: ['@connmetrics/instrumentation-redis', 'RedisConnectionInstrumentation'],
    upstream: ['@opentelemetry/instrumentation-redis', 'RedisInstrumentation'],
  },
};

/** A metric reader that collects only when asked (between rounds, never while measuring). */
function createReader() {
  const { MetricReader, AggregationTemporality } = require('@opentelemetry/sdk-metrics');
  class ManualReader extends MetricReader {
    constructor() {
      super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
    }
    async onForceFlush() {}
    async onShutdown() {}
  }
  return new ManualReader();
}

/**
 * Installs a mode for the given protocols. Returns the instrumentations by
 * protocol and family, what failed to load (a package not built yet), and a
 * `totals()` that collects every metric as name → sum (or count, for histograms).
 */
export function installMode(mode, protocols) {
  const families = { off: [], connmetrics: ['connmetrics'], upstream: ['upstream'], both: ['connmetrics', 'upstream'], experiment: ['connmetrics'] }[mode];
  if (!families) throw new Error(`unknown mode ${mode}`);
  const instrumentations = {};
  const failures = [];
  let reader;
  let meterProvider;
  if (families.length > 0) {
    const { MeterProvider } = require('@opentelemetry/sdk-metrics');
    reader = createReader();
    meterProvider = new MeterProvider({ readers: [reader] });
  }
  for (const family of families) {
    for (const protocol of protocols) {
      const [packageName, className] = PROTOCOLS[protocol][family];
      try {
        const Instrumentation = require(packageName)[className];
        if (typeof Instrumentation !== 'function') throw new Error(`${packageName} has no export ${className}`);
        const instrumentation = new Instrumentation();
        instrumentation.setMeterProvider(meterProvider); // enabled by its constructor
        (instrumentations[protocol] ??= {})[family] = instrumentation;
      } catch (error) {
        failures.push({ protocol, family, packageName, error: String(error?.message ?? error).split('\n')[0] });
      }
    }
  }
  return {
    instrumentations,
    failures,
    async totals() {
      if (!reader) return {};
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new AggregateError(errors, 'metric collection failed');
      const totals = {};
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          let total = 0;
          for (const point of metric.dataPoints) {
            total += typeof point.value === 'number' ? point.value : point.value.count;
          }
          const name = metric.descriptor.name;
          totals[name] = (totals[name] ?? 0) + total;
        }
      }
      return totals;
    },
  };
}

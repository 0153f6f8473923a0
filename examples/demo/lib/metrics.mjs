// The demo's metrics pipeline: every connmetrics instrumentation (from
// @connmetrics/auto) recording into a MeterProvider whose reader the demo
// collects from on demand, and the numbers each scenario prints, computed
// from what the instrumentations emitted.
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { connectionReport, connectionReportReader, getConnectionInstrumentations } from '@connmetrics/auto';

class OnDemandReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  async onForceFlush() {}
  async onShutdown() {}
}

const CREATED = 'connmetrics.connection.created';
const REUSED = 'connmetrics.connection.reused';
const FAILED = 'connmetrics.connection.failed';
const DNS = 'dns.lookup.duration';
const TLS = 'connmetrics.tls.handshake.duration';

/** Starts the instrumentations; call before loading pg, ioredis or @grpc/grpc-js (they are patched on load). */
export function startMetrics() {
  const reader = new OnDemandReader();
  // The reuse report reads the same instruments through its own reader.
  const reportReader = connectionReportReader();
  const meterProvider = new MeterProvider({ readers: [reader, reportReader] });
  const instrumentations = getConnectionInstrumentations();
  registerInstrumentations({ instrumentations, meterProvider });
  return {
    /** Totals per metric for connections to `port` (the scenario's proxy), over every instrumentation. */
    async totals(port) {
      const { resourceMetrics } = await reader.collect();
      const totals = { created: 0, reused: 0, failed: 0, dnsLookups: 0, tlsHandshakes: 0, tlsResumed: 0, tlsSeconds: 0 };
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          for (const point of metric.dataPoints) {
            if (point.attributes['server.port'] !== port) continue;
            const name = metric.descriptor.name;
            if (name === CREATED) totals.created += point.value;
            else if (name === REUSED) totals.reused += point.value;
            else if (name === FAILED) totals.failed += point.value;
            else if (name === DNS) totals.dnsLookups += point.value.count;
            else if (name === TLS) {
              totals.tlsHandshakes += point.value.count;
              totals.tlsSeconds += point.value.sum;
              if (point.attributes['tls.resumed'] === true) totals.tlsResumed += point.value.count;
            }
          }
        }
      }
      return totals;
    },
    /** The reuse report's rows for connections to `port` (a server's `address:port`, or a pool named after it). */
    async reportRows(port) {
      const report = await connectionReport({ readers: [reportReader] });
      return report.rows.filter((row) => row.target.endsWith(`:${port}`) || row.target.includes(`:${port}/`));
    },
    async shutdown() {
      for (const instrumentation of instrumentations) instrumentation.disable();
      await meterProvider.shutdown();
    },
  };
}

/** What happened between two totals. */
export function difference(after, before) {
  return Object.fromEntries(Object.entries(after).map(([key, value]) => [key, value - before[key]]));
}

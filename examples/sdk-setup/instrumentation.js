'use strict';
// OpenTelemetry setup with connection metrics, loaded before the application:
//
//   node --require ./instrumentation.js app.js
//
// The exporter sends OTLP over HTTP (protobuf) to OTEL_EXPORTER_OTLP_ENDPOINT
// (default http://localhost:4318), every OTEL_METRIC_EXPORT_INTERVAL ms
// (default 60000). Add your other instrumentations, span processors and log
// processors as usual: this example sets up metrics only.
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-proto');
const { getConnectionInstrumentations } = require('@connmetrics/auto');

const sdk = new NodeSDK({
  serviceName: process.env.OTEL_SERVICE_NAME ?? 'sdk-setup-example',
  metricReaders: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter() })],
  instrumentations: [
    // Every connmetrics instrumentation; each can be configured or switched off by its short name.
    getConnectionInstrumentations({
      undici: {},
      http: {},
      pg: { enabled: false }, // this application has no database
      ioredis: { enabled: false },
    }),
  ],
  spanProcessors: [],
  logRecordProcessors: [],
});
sdk.start();

// Export what is pending before the process ends.
async function shutdown() {
  try {
    await sdk.shutdown();
  } catch (error) {
    console.error('OpenTelemetry shutdown failed', error);
  }
}
process.once('beforeExit', shutdown);
process.once('SIGTERM', () => shutdown().finally(() => process.exit(0)));

import { TestMetrics } from '@connmetrics/test-harness';
import { UndiciConnectionInstrumentation } from '../src';
import type { UndiciConnectionInstrumentationConfig } from '../src';

/** An enabled instrumentation reading into its own MeterProvider; `stop()` in afterEach. */
export function instrumented(config: UndiciConnectionInstrumentationConfig = {}) {
  const metrics = new TestMetrics();
  const instrumentation = new UndiciConnectionInstrumentation(config);
  instrumentation.setMeterProvider(metrics.meterProvider);
  return {
    metrics,
    instrumentation,
    async stop() {
      instrumentation.disable();
      await metrics.shutdown();
    },
  };
}

export const CREATED = 'connmetrics.connection.created';
export const REUSED = 'connmetrics.connection.reused';
export const FAILED = 'connmetrics.connection.failed';
export const CONNECT = 'connmetrics.connection.connect.duration';
export const TLS = 'connmetrics.tls.handshake.duration';
export const DNS = 'dns.lookup.duration';
export const OPEN = 'http.client.open_connections';
export const LIFETIME = 'http.client.connection.duration';
export const QUEUE = 'http.client.request.time_in_queue';

export const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

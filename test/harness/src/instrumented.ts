import type { MeterProvider } from '@opentelemetry/api';
import { TestMetrics } from './metrics';

/** The part of an OpenTelemetry instrumentation the tests drive. */
export interface DrivableInstrumentation {
  setMeterProvider(meterProvider: MeterProvider): void;
  disable(): void;
}

export interface Instrumented<I> {
  readonly metrics: TestMetrics;
  readonly instrumentation: I;
  /** Disables the instrumentation and shuts its MeterProvider down (call in afterEach). */
  stop(): Promise<void>;
}

/** Wires an (enabled) instrumentation to its own MeterProvider for one test. */
export function instrumented<I extends DrivableInstrumentation>(instrumentation: I): Instrumented<I> {
  const metrics = new TestMetrics();
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

/** Waits one turn of the event loop (lets a library free a connection it just released). */
export const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

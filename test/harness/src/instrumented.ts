import { deepStrictEqual } from 'node:assert/strict';
import type { MeterProvider } from '@opentelemetry/api';
import { TestMetrics } from './metrics';

/** The part of an OpenTelemetry instrumentation the tests drive. */
export interface DrivableInstrumentation {
  setMeterProvider(meterProvider: MeterProvider): void;
  enable(): void;
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

/**
 * Runs `call` with the instrumentation disabled, then enabled, and asserts
 * that the application saw the same both times (compared through `view`,
 * e.g. an error without its stack). Returns what it saw with it enabled.
 */
export async function sameWithAndWithout<T>(
  instrumentation: DrivableInstrumentation,
  call: () => Promise<T>,
  view: (seen: T) => unknown = (seen) => seen,
): Promise<T> {
  instrumentation.disable();
  const without = await call();
  instrumentation.enable();
  const withIt = await call();
  deepStrictEqual(view(withIt), view(without));
  return withIt;
}

import * as api from '@opentelemetry/api';
import type { Instrumentation, InstrumentationConfig } from '@opentelemetry/instrumentation';

/**
 * Whether the loaded `@opentelemetry/api` can construct an
 * InstrumentationBase of the `@opentelemetry/instrumentation` the packages
 * depend on (0.30x reads `api.logs` in its constructor, which API 1.10 added).
 * An application that forced an older API past the peer range (npm
 * `--legacy-peer-deps`, an override) would otherwise see a TypeError from
 * `new XConnectionInstrumentation()` in its setup.
 */
export function missingApiSupport(): string | undefined {
  return (api as { logs?: unknown }).logs === undefined
    ? 'the loaded @opentelemetry/api is older than 1.10 (it has no logs API), which @opentelemetry/instrumentation 0.30x needs'
    : undefined;
}

const warned = new Set<string>();

/**
 * An instrumentation that counts nothing, for an API it cannot run with:
 * registerInstrumentations() and NodeSDK accept it, and nothing is patched or
 * subscribed. Reported once per instrumentation name through diag.warn.
 */
export function inertInstrumentation<Config extends InstrumentationConfig>(
  instrumentationName: string,
  instrumentationVersion: string,
  config: Config,
  problem: string,
): Instrumentation<Config> {
  if (!warned.has(instrumentationName)) {
    warned.add(instrumentationName);
    api.diag.warn(
      `connmetrics: ${instrumentationName} records nothing: ${problem}. Install @opentelemetry/api 1.10 or later (the packages' peer range), with @opentelemetry/sdk-metrics 3.x.`,
    );
  }
  let current: Config = { ...config };
  return {
    instrumentationName,
    instrumentationVersion,
    enable() {},
    disable() {},
    setTracerProvider() {},
    setMeterProvider() {},
    setLoggerProvider() {},
    setConfig(next: Config) {
      current = { ...next };
    },
    getConfig() {
      return current;
    },
  };
}

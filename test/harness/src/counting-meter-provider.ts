/*
 * A MeterProvider over a real one whose synchronous instruments count their
 * calls: how many `add()`/`record()` each instrument name received, and how
 * many of those came with an attribute object never passed before (an object
 * built for that call). For the hot-path guard: a new per-use recording, or
 * attributes rebuilt per use, shows as a changed count, not as a slower
 * benchmark.
 */
import type { Attributes, Meter, MeterProvider } from '@opentelemetry/api';

export interface SdkCallCounts {
  /** Instrument name → add()/record() calls. */
  readonly calls: Record<string, number>;
  /** Instrument name → calls whose attribute object was new. */
  readonly freshAttributes: Record<string, number>;
}

export interface CountingMeterProvider extends MeterProvider {
  /** The counts since the last reset. */
  counts(): SdkCallCounts;
  reset(): void;
}

const SYNCHRONOUS = new Set(['createCounter', 'createUpDownCounter', 'createHistogram', 'createGauge']);

export function countingMeterProvider(inner: MeterProvider): CountingMeterProvider {
  let calls: Record<string, number> = {};
  let freshAttributes: Record<string, number> = {};
  const seen = new WeakSet<object>();
  const count = (name: string, attributes: Attributes | undefined) => {
    calls[name] = (calls[name] ?? 0) + 1;
    if (attributes && typeof attributes === 'object' && !seen.has(attributes)) {
      seen.add(attributes);
      freshAttributes[name] = (freshAttributes[name] ?? 0) + 1;
    }
  };
  const meters = new Map<string, Meter>();
  return {
    getMeter(name, version, options): Meter {
      const key = `${name}@${version ?? ''}`;
      const known = meters.get(key);
      if (known) return known;
      const meter = inner.getMeter(name, version, options);
      const counting = new Proxy(meter, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver) as unknown;
          if (typeof value !== 'function') return value;
          const create = value as (...args: unknown[]) => Record<string, (...args: unknown[]) => unknown>;
          if (typeof property !== 'string' || !SYNCHRONOUS.has(property)) return create.bind(target);
          return (instrumentName: string, ...rest: unknown[]) => {
            const instrument = create.call(target, instrumentName, ...rest);
            const method = 'add' in instrument ? 'add' : 'record';
            const original = instrument[method]!.bind(instrument);
            return {
              [method]: (value: number, attributes?: Attributes, context?: unknown) => {
                count(instrumentName, attributes);
                return original(value, attributes, context);
              },
            };
          };
        },
      });
      meters.set(key, counting);
      return counting;
    },
    counts: () => ({ calls: { ...calls }, freshAttributes: { ...freshAttributes } }),
    reset() {
      calls = {};
      freshAttributes = {};
    },
  };
}

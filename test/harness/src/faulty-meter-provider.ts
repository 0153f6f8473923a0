/*
 * Forced faults in chosen kinds of instruments over a real MeterProvider that
 * keeps its readers, so that collections run the observable callbacks:
 * unlike throwingMeterProvider(), this one shows what a failure does to the
 * gauges and to later collections, not only that it is contained.
 */
import type { BatchObservableCallback, Meter, MeterProvider, Observable } from '@opentelemetry/api';

/** Which instruments throw: Counter and UpDownCounter `add()`, Histogram and Gauge `record()`, or batch observable `observe()`. */
export type InstrumentFault = 'counters' | 'histograms' | 'observables';

const fail = () => {
  throw new Error('forced recorder failure');
};

/** A MeterProvider whose instruments of the kinds in `faults` throw on every recording; the others record into `inner`. */
export function faultyMeterProvider(inner: MeterProvider, faults: readonly InstrumentFault[]): MeterProvider {
  const failing = new Set(faults);
  return {
    getMeter(name, version, options): Meter {
      const meter = inner.getMeter(name, version, options);
      return new Proxy(meter, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (typeof value !== 'function') return value;
          const create = value as (...args: unknown[]) => object;
          if ((property === 'createCounter' || property === 'createUpDownCounter') && failing.has('counters')) {
            return (...args: unknown[]) => ({ add: fail, instrument: create.apply(target, args) });
          }
          if ((property === 'createHistogram' || property === 'createGauge') && failing.has('histograms')) {
            return (...args: unknown[]) => ({ record: fail, instrument: create.apply(target, args) });
          }
          if (property === 'addBatchObservableCallback' && failing.has('observables')) {
            return (callback: BatchObservableCallback, observables: Observable[]) =>
              create.call(target, () => callback({ observe: fail }), observables);
          }
          return create.bind(target);
        },
      });
    },
  };
}

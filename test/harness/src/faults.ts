/*
 * Forced faults: a MeterProvider whose instruments throw on every recording,
 * and a diag logger that captures what the instrumentations log.
 */
import { diag, DiagLogLevel, type Meter, type MeterProvider } from '@opentelemetry/api';
import { MeterProvider as SdkMeterProvider } from '@opentelemetry/sdk-metrics';

const fail = () => {
  throw new Error('forced recorder failure');
};

/** Instruments from this provider throw on add(), record() and in observable callbacks' observe(). */
export function throwingMeterProvider(): MeterProvider {
  const real = new SdkMeterProvider();
  return {
    getMeter(name, version, options): Meter {
      const meter = real.getMeter(name, version, options);
      return new Proxy(meter, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (typeof value !== 'function') return value;
          if (property === 'createCounter' || property === 'createUpDownCounter' || property === 'createHistogram' || property === 'createGauge') {
            return (...args: unknown[]) => ({ add: fail, record: fail, instrument: (value as Function).apply(target, args) });
          }
          if (property === 'addBatchObservableCallback') {
            return (callback: Function, observables: unknown[]) =>
              (value as Function).call(target, () => callback({ observe: fail }), observables);
          }
          return (value as Function).bind(target);
        },
      });
    },
  };
}

/**
 * A MeterProvider that throws at setup: at `getMeter()`, or (`instruments`)
 * at every `create*()` and `addBatchObservableCallback()` of its meters.
 */
export function setupThrowingMeterProvider(where: 'getMeter' | 'instruments'): MeterProvider {
  const throwing = () => {
    throw new Error(`forced ${where} failure`);
  };
  if (where === 'getMeter') return { getMeter: throwing };
  return { getMeter: () => new Proxy({} as Meter, { get: () => throwing }) };
}

export interface CapturedDiag {
  readonly errors: string[];
  readonly all: Array<{ level: string; message: string }>;
  restore(): void;
}

/** Installs a global diag logger that records every message, until restore(). */
export function captureDiag(): CapturedDiag {
  const all: Array<{ level: string; message: string }> = [];
  // Component loggers pass their namespace first, then the message and its arguments.
  const log = (level: string) => (...args: unknown[]) => {
    all.push({ level, message: args.filter((arg) => typeof arg === 'string').join(' ') });
  };
  diag.setLogger(
    { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug'), verbose: log('verbose') },
    { logLevel: DiagLogLevel.ALL, suppressOverrideMessage: true },
  );
  return {
    all,
    get errors() {
      return all.filter((entry) => entry.level === 'error').map((entry) => entry.message);
    },
    restore: () => diag.disable(),
  };
}

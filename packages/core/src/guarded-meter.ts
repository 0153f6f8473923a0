/*
 * A Meter that never throws into the instrumentation, and so never into the
 * application: a MeterProvider whose create*() or addBatchObservableCallback()
 * throws at setup, or whose instruments throw at each recording, is logged
 * once per failing call site through the instrumentation's diag logger and
 * records nothing there; everything else goes on. Every instrument a
 * connmetrics instrumentation creates comes from one (see base.ts), so the
 * protocol packages need no guards of their own around recordings.
 */
import {
  createNoopMeter,
  type Attributes,
  type BatchObservableCallback,
  type BatchObservableResult,
  type Context,
  type Counter,
  type DiagLogger,
  type Gauge,
  type Histogram,
  type Meter,
  type MetricOptions,
  type Observable,
  type ObservableCallback,
  type ObservableCounter,
  type ObservableGauge,
  type ObservableUpDownCounter,
  type UpDownCounter,
} from '@opentelemetry/api';
import { reportFailure } from './guard';

const NOOP_METER = createNoopMeter();

type Log = () => DiagLogger;

function run(log: Log, name: string, call: () => void): void {
  try {
    call();
  } catch (error) {
    reportFailure(log(), name, error);
  }
}

function create<T>(log: Log, name: string, make: () => T, fallback: () => T): T {
  try {
    return make();
  } catch (error) {
    reportFailure(log(), `create ${name}`, error);
    return fallback();
  }
}

function guardedAdd<T extends Counter | UpDownCounter>(inner: T, log: Log, name: string): T {
  return {
    add(value: number, attributes?: Attributes, context?: Context) {
      try {
        inner.add(value, attributes, context);
      } catch (error) {
        reportFailure(log(), `record ${name}`, error);
      }
    },
  } as T;
}

function guardedRecord<T extends Histogram | Gauge>(inner: T, log: Log, name: string): T {
  return {
    record(value: number, attributes?: Attributes, context?: Context) {
      try {
        inner.record(value, attributes, context);
      } catch (error) {
        reportFailure(log(), `record ${name}`, error);
      }
    },
  } as T;
}

function guardedObservable<T extends Observable>(inner: T, log: Log, name: string): T {
  return {
    addCallback: (callback: ObservableCallback) => run(log, `observe ${name}`, () => inner.addCallback(callback)),
    removeCallback: (callback: ObservableCallback) => run(log, `observe ${name}`, () => inner.removeCallback(callback)),
  } as unknown as T;
}

/** The instrument a guarded observable stands for, to hand to the SDK in batch callbacks. */
const INNER = new WeakMap<object, Observable>();

function observable<T extends Observable>(log: Log, name: string, make: () => T, fallback: () => T): T {
  const inner = create(log, name, make, fallback);
  const guarded = guardedObservable(inner, log, name);
  INNER.set(guarded, inner);
  return guarded;
}

const innerOf = (observable: Observable): Observable => INNER.get(observable) ?? observable;

/** The Meter a guarded one stands for. */
const GUARDED = new WeakMap<Meter, Meter>();

/** The SDK's Meter behind `meter` (itself when it is not a guarded one): what instances on one provider share. */
export function innerMeter(meter: Meter): Meter {
  return GUARDED.get(meter) ?? meter;
}

/**
 * What `key` names for `meter`'s SDK Meter, made by `create` on first need:
 * shared by every instance on the MeterProvider and by every copy of core
 * (held on globalThis under the versioned `key`, weakly by the SDK Meter).
 */
export function sharedPerMeter<T>(key: symbol, meter: Meter, create: () => T): T {
  const holder = globalThis as { [key: symbol]: WeakMap<Meter, unknown> | undefined };
  const registry = (holder[key] ??= new WeakMap());
  const inner = innerMeter(meter);
  let shared = registry.get(inner) as T | undefined;
  if (shared === undefined) registry.set(inner, (shared = create()));
  return shared;
}

/** `meter`, guarded; the diag logger is read at each failure, so it may change. */
export function guardedMeter(meter: Meter, log: Log): Meter {
  const guarded: Meter = {
    createCounter: (name: string, options?: MetricOptions) =>
      guardedAdd(create(log, name, () => meter.createCounter(name, options), () => NOOP_METER.createCounter(name)), log, name),
    createUpDownCounter: (name: string, options?: MetricOptions) =>
      guardedAdd(create(log, name, () => meter.createUpDownCounter(name, options), () => NOOP_METER.createUpDownCounter(name)), log, name),
    createHistogram: ((name: string, options?: MetricOptions) =>
      guardedRecord(create(log, name, () => meter.createHistogram(name, options), () => NOOP_METER.createHistogram(name)), log, name)) as Meter['createHistogram'],
    createGauge: ((name: string, options?: MetricOptions) =>
      guardedRecord(create(log, name, () => meter.createGauge(name, options), () => NOOP_METER.createGauge(name)), log, name)) as Meter['createGauge'],
    createObservableCounter: (name: string, options?: MetricOptions): ObservableCounter =>
      observable(log, name, () => meter.createObservableCounter(name, options), () => NOOP_METER.createObservableCounter(name)),
    createObservableGauge: (name: string, options?: MetricOptions): ObservableGauge =>
      observable(log, name, () => meter.createObservableGauge(name, options), () => NOOP_METER.createObservableGauge(name)),
    createObservableUpDownCounter: (name: string, options?: MetricOptions): ObservableUpDownCounter =>
      observable(log, name, () => meter.createObservableUpDownCounter(name, options), () => NOOP_METER.createObservableUpDownCounter(name)),
    addBatchObservableCallback: (callback: BatchObservableCallback, observables: Observable[]) =>
      run(log, 'addBatchObservableCallback', () => meter.addBatchObservableCallback(guardedCallback(callback, log), observables.map(innerOf))),
    removeBatchObservableCallback: (callback: BatchObservableCallback, observables: Observable[]) =>
      run(log, 'removeBatchObservableCallback', () => meter.removeBatchObservableCallback(guardedCallback(callback, log), observables.map(innerOf))),
  };
  GUARDED.set(guarded, meter);
  return guarded;
}

const CALLBACKS = new WeakMap<BatchObservableCallback, BatchObservableCallback>();

/** A batch callback whose failures, and each failing observation, are logged and contained; one per callback. */
function guardedCallback(callback: BatchObservableCallback, log: Log): BatchObservableCallback {
  let guarded = CALLBACKS.get(callback);
  if (guarded) return guarded;
  guarded = (result: BatchObservableResult) => {
    const observer: BatchObservableResult = {
      observe(instrument, value, attributes) {
        try {
          result.observe(innerOf(instrument), value, attributes);
        } catch (error) {
          reportFailure(log(), 'observe', error);
        }
      },
    };
    try {
      const pending = callback(observer);
      if (pending && typeof (pending as Promise<void>).catch === 'function') {
        (pending as Promise<void>).catch((error: unknown) => reportFailure(log(), 'observe', error));
      }
    } catch (error) {
      reportFailure(log(), 'observe', error);
    }
  };
  CALLBACKS.set(callback, guarded);
  return guarded;
}

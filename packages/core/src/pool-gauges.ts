/*
 * The pool gauges (db.client.connection.count, idle.max, idle.min, max,
 * pending_requests), read from each pool's own numbers at collection time in
 * one batch callback: exact by construction, nothing recorded per checkout.
 * `used` is every connection of the pool that is not idle (checked out, or
 * being opened for a waiting request), so used + idle = the pool's total.
 * Pools that share a name are added up; a series whose pools are all gone is
 * reported as 0 once, then dropped.
 *
 * One callback per SDK Meter reads the pools of every instance on the
 * MeterProvider (each instance reports only the pools it claimed): pools of
 * one name held by two instances add up to one series, where two
 * observations of one attribute set would leave the SDK keeping one. Shared
 * by every copy of core: the registry keeps `add()`/`delete()`, and a source
 * keeps `observed()` with the PoolAttributes and PoolCounts shapes, for as
 * long as the key ends in `.v1`.
 */
import { diag, type Attributes, type BatchObservableResult, type Meter, type Observable } from '@opentelemetry/api';
import { attributesKey } from './attributes';
import { reportFailure } from './guard';
import { sharedPerMeter } from './guarded-meter';
import type { DbConnectionInstruments } from './instruments';
import type { PoolAttributes } from './pool-registry';

/** A pool's own numbers at one collection, as the protocol package reads them. */
export interface PoolCounts {
  /** Connections open or being opened. */
  readonly total: number;
  readonly idle: number;
  /** Requests waiting for a connection; undefined when the library does not show it (then not reported). */
  readonly pending?: number;
  /** The most connections the pool opens; undefined when it has no limit (then not reported). */
  readonly max?: number;
  /** The most idle connections it keeps. */
  readonly idleMax?: number;
  /** The fewest idle connections it keeps open. */
  readonly idleMin?: number;
}

/** The pools one instance reports (a PoolRegistry). */
export interface PoolSource {
  observed(): Iterable<readonly [PoolAttributes, PoolCounts]>;
}

interface Series {
  readonly instrument: Observable;
  readonly attributes: Attributes;
  value: number;
}

/** A count as a non-negative number, else the fallback. */
export function poolCount(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

const logger = diag.createComponentLogger({ namespace: '@connmetrics/core' });

/** The series of one collection, added up by instrument and attribute set. */
class Collection {
  readonly series = new Map<string, Series>();

  add(instrument: Observable, name: string, attributes: Attributes, value: number | undefined): void {
    if (value === undefined) return;
    const key = `${name}\u0000${attributesKey(attributes)}`;
    const series = this.series.get(key);
    if (series) series.value += value;
    else this.series.set(key, { instrument, attributes, value });
  }

  pool({ pool, used, idle }: PoolAttributes, counts: PoolCounts, instruments: DbConnectionInstruments): void {
    const total = poolCount(counts.total, 0);
    const idleCount = Math.min(poolCount(counts.idle, 0), total);
    this.add(instruments.count, 'count', used, total - idleCount);
    this.add(instruments.count, 'count', idle, idleCount);
    this.add(instruments.pendingRequests, 'pending', pool, counts.pending === undefined ? undefined : poolCount(counts.pending, 0));
    this.add(instruments.max, 'max', pool, counts.max);
    this.add(instruments.idleMax, 'idle.max', pool, counts.idleMax);
    this.add(instruments.idleMin, 'idle.min', pool, counts.idleMin);
  }
}

export class PoolGauges {
  private previous = new Map<string, Series>();
  readonly sources = new Set<PoolSource>();

  constructor(private readonly instruments: DbConnectionInstruments) {}

  observe(result: BatchObservableResult): void {
    const current = new Collection();
    for (const source of this.sources) {
      try {
        for (const [attributes, counts] of source.observed()) current.pool(attributes, counts, this.instruments);
      } catch (error) {
        reportFailure(logger, 'observe pools', error);
      }
    }
    for (const [key, series] of this.previous) {
      if (!current.series.has(key)) result.observe(series.instrument, 0, series.attributes);
    }
    for (const series of current.series.values()) result.observe(series.instrument, series.value, series.attributes);
    this.previous = current.series;
  }
}

const REGISTRY = Symbol.for('connmetrics.core.db-pool-gauges.v1');

interface SharedPoolGauges {
  add(source: PoolSource): void;
  delete(source: PoolSource): void;
}

function sharedPoolGauges(meter: Meter, instruments: DbConnectionInstruments): SharedPoolGauges {
  return sharedPerMeter(REGISTRY, meter, (): SharedPoolGauges => {
    const gauges = new PoolGauges(instruments);
    meter.addBatchObservableCallback(
      (result) => gauges.observe(result),
      [instruments.count, instruments.idleMax, instruments.idleMin, instruments.max, instruments.pendingRequests],
    );
    return { add: (source) => void gauges.sources.add(source), delete: (source) => void gauges.sources.delete(source) };
  });
}

/**
 * Reports `source`'s pools on the pool gauges of `meter`'s SDK Meter (created
 * with `instruments` by the first instance that joins). Returns what stops
 * reporting them there: call it before joining a new MeterProvider's.
 */
export function reportPoolGauges(meter: Meter, instruments: DbConnectionInstruments, source: PoolSource): () => void {
  const shared = sharedPoolGauges(meter, instruments);
  shared.add(source);
  return () => shared.delete(source);
}

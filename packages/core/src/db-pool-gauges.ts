/*
 * The pool gauges of the semantic conventions (db.client.connection.count,
 * idle.max, idle.min, max, pending_requests) for any database client whose
 * pools can be read at collection time: each pool gives its own counts, in
 * one batch callback, so nothing is recorded per use. Pools that share a name
 * are added up; a series whose pools are all gone is reported as 0 once, then
 * dropped.
 */
import type { Attributes, BatchObservableResult, Observable } from '@opentelemetry/api';
import { attributesKey } from './attributes';
import type { DbConnectionInstruments } from './instruments';
import {
  ATTR_DB_CLIENT_CONNECTION_POOL_NAME,
  ATTR_DB_CLIENT_CONNECTION_STATE,
  DB_CLIENT_CONNECTION_STATE_IDLE,
  DB_CLIENT_CONNECTION_STATE_USED,
} from './semconv';

/** The attribute sets of one pool's metrics, computed once per pool. */
export interface DbPoolAttributes {
  readonly name: string;
  /** `db.client.connection.pool.name`: the attributes of every pool metric. */
  readonly pool: Attributes;
  readonly used: Attributes;
  readonly idle: Attributes;
}

export function dbPoolAttributes(name: string): DbPoolAttributes {
  const pool = { [ATTR_DB_CLIENT_CONNECTION_POOL_NAME]: name };
  return {
    name,
    pool,
    used: { ...pool, [ATTR_DB_CLIENT_CONNECTION_STATE]: DB_CLIENT_CONNECTION_STATE_USED },
    idle: { ...pool, [ATTR_DB_CLIENT_CONNECTION_STATE]: DB_CLIENT_CONNECTION_STATE_IDLE },
  };
}

/** The conventions' fallback pool name: `server.address:server.port/database`. */
export function defaultDbPoolName(address: string | undefined, port: number | undefined, database: string | undefined): string {
  return `${address ?? ''}:${port ?? ''}/${database ?? ''}`;
}

/** What one pool holds at collection time. */
export interface DbPoolCounts {
  readonly idle: number;
  readonly used: number;
  readonly max: number;
  readonly idleMax: number;
  readonly idleMin: number;
  /** Requests waiting for a connection; undefined when the library does not show it (then not reported). */
  readonly pending?: number;
}

export interface ObservedDbPool {
  readonly attributes: DbPoolAttributes;
  readonly counts: DbPoolCounts;
}

interface Series {
  readonly instrument: Observable;
  readonly attributes: Attributes;
  value: number;
}

export class DbPoolGauges {
  private previous = new Map<string, Series>();

  observe(result: BatchObservableResult, instruments: DbConnectionInstruments, pools: Iterable<ObservedDbPool>): void {
    const current = new Map<string, Series>();
    const add = (instrument: Observable, name: string, attributes: Attributes, value: number) => {
      const key = `${name}\u0000${attributesKey(attributes)}`;
      const series = current.get(key);
      if (series) series.value += value;
      else current.set(key, { instrument, attributes, value });
    };
    for (const { attributes, counts } of pools) {
      add(instruments.count, 'count', attributes.used, counts.used);
      add(instruments.count, 'count', attributes.idle, counts.idle);
      add(instruments.max, 'max', attributes.pool, counts.max);
      add(instruments.idleMax, 'idle.max', attributes.pool, counts.idleMax);
      add(instruments.idleMin, 'idle.min', attributes.pool, counts.idleMin);
      if (counts.pending !== undefined) add(instruments.pendingRequests, 'pending', attributes.pool, counts.pending);
    }
    for (const [key, series] of this.previous) {
      if (!current.has(key)) result.observe(series.instrument, 0, series.attributes);
    }
    for (const series of current.values()) result.observe(series.instrument, series.value, series.attributes);
    this.previous = current;
  }
}

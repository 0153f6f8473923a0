/*
 * Reports open connections by state (`active`/`idle` for HTTP, `used`/`idle`
 * for databases) from the tracker's open set, in an observable callback.
 * Nothing is recorded per use: a use only moves the connection's in-flight
 * count, and the states are counted when the SDK collects. At most
 * `cardinalityLimit` series are reported, the last being the SDK's
 * `otel.metric.overflow=true` series, which counts the connections of every
 * attribute set beyond the limit.
 */
import type { Attributes, BatchObservableResult, Observable } from '@opentelemetry/api';
import { attributesKey } from './attributes';
import type { ConnectionState } from './connection-tracker';
import { DEFAULT_CARDINALITY_LIMIT, OVERFLOW_ATTRIBUTES } from './series-counter';

/** The key of the overflow series (no attribute key is empty). */
const OVERFLOW_KEY = '';

interface Series {
  readonly attributes: Attributes;
  value: number;
}

/** Attribute sets of one connection in each of its two states, computed once. */
interface StateAttributes {
  readonly busy: Attributes;
  readonly busyKey: string;
  readonly idle: Attributes;
  readonly idleKey: string;
}

export class OpenConnectionsObserver {
  /** Series reported last time; reported as 0 once when they empty, then dropped. */
  private previous = new Map<string, Series>();
  private readonly cache = new WeakMap<ConnectionState, StateAttributes>();

  /**
   * @param stateAttribute the attribute that carries the state (`http.connection.state`)
   * @param busyValue its value while a use is in flight (`active`, `used`)
   * @param idleValue its value otherwise (`idle`)
   * @param baseAttributes the attributes of the gauge for a connection
   */
  constructor(
    private readonly stateAttribute: string,
    private readonly busyValue: string,
    private readonly idleValue: string,
    private readonly baseAttributes: (state: ConnectionState) => Attributes,
    private readonly cardinalityLimit: number = DEFAULT_CARDINALITY_LIMIT,
  ) {}

  /**
   * Observes every connection in its state: busy while `isBusy` says so (by
   * default, while a use is in flight), idle otherwise.
   */
  observe(
    result: BatchObservableResult,
    instrument: Observable,
    connections: Iterable<ConnectionState>,
    isBusy: (connection: ConnectionState) => boolean = (connection) => connection.inFlight > 0,
  ): void {
    const current = new Map<string, Series>();
    for (const connection of connections) {
      const attributes = this.attributesOf(connection);
      const busy = isBusy(connection);
      this.add(current, busy ? attributes.busyKey : attributes.idleKey, busy ? attributes.busy : attributes.idle);
    }
    for (const [key, series] of this.previous) {
      if (!current.has(key)) current.set(key, { attributes: series.attributes, value: 0 });
    }
    // The overflow series last: past its own limit the SDK keeps the last overflowing observation, not their sum.
    const overflow = current.get(OVERFLOW_KEY);
    for (const [key, series] of current) if (key !== OVERFLOW_KEY) result.observe(instrument, series.value, series.attributes);
    if (overflow) result.observe(instrument, overflow.value, overflow.attributes);
    for (const [key, series] of current) if (series.value === 0) current.delete(key);
    this.previous = current;
  }

  private attributesOf(connection: ConnectionState): StateAttributes {
    let attributes = this.cache.get(connection);
    if (!attributes) {
      const base = this.baseAttributes(connection);
      const busy = { ...base, [this.stateAttribute]: this.busyValue };
      const idle = { ...base, [this.stateAttribute]: this.idleValue };
      attributes = { busy, busyKey: attributesKey(busy), idle, idleKey: attributesKey(idle) };
      this.cache.set(connection, attributes);
    }
    return attributes;
  }

  private add(series: Map<string, Series>, key: string, attributes: Attributes): void {
    let existing = series.get(key);
    if (!existing && series.size >= this.cardinalityLimit - 1) {
      key = OVERFLOW_KEY;
      attributes = OVERFLOW_ATTRIBUTES;
      existing = series.get(key);
    }
    if (existing) existing.value += 1;
    else series.set(key, { attributes, value: 1 });
  }
}

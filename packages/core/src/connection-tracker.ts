/*
 * Created-vs-reused bookkeeping. A connection is any object that identifies
 * it (a socket, a pg Client, an HTTP/2 session); its state is held weakly, so
 * a connection that is dropped without a close event leaves nothing behind.
 * Connections that are open are also kept in a set for the observable gauges,
 * and leave it when they close.
 */
import { performance } from 'node:perf_hooks';
import { diag, type Attributes, type Counter, type DiagLogger } from '@opentelemetry/api';
import { reportFailure } from './guard';
import type { CounterSeries, SeriesCounter } from './series-counter';
import { ATTR_ERROR_TYPE } from './semconv';

const coreLogger = diag.createComponentLogger({ namespace: '@connmetrics/core' });

export interface ConnectionState {
  /** Attributes recorded with this connection's counters; computed once. */
  readonly attributes: Attributes;
  /** Uses served so far. */
  uses: number;
  /** Uses in progress (requests in flight, checkouts held, commands pending). */
  inFlight: number;
  /** When the connection became ready, from `performance.now()`. */
  readonly readyAt: number;
  /** False for a connection that was open before instrumentation began. */
  readonly observedFromStart: boolean;
  /** Free for the protocol package (e.g. attributes of its gauges). */
  extra?: unknown;
  /** The reused series this connection adds to, and the counter it belongs to. */
  reuse?: { readonly counter: SeriesCounter; readonly series: CounterSeries };
}

export interface UseCounters {
  readonly created: Counter;
  readonly reused: SeriesCounter;
  readonly closed: Counter;
}

export class ConnectionTracker {
  private states = new WeakMap<object, ConnectionState>();
  private readonly openStates = new Set<ConnectionState>();

  /**
   * @param counters the counters to record into (read at each recording, so a new MeterProvider takes effect)
   * @param logger where a failing recording is logged (once per counter); the bookkeeping goes on regardless
   */
  constructor(
    private readonly counters: () => UseCounters,
    private readonly logger: () => DiagLogger = () => coreLogger,
  ) {}

  /** One reuse: an increment of the connection's series (resolved once per connection and counter). */
  private reused(state: ConnectionState): void {
    try {
      const counter = this.counters().reused;
      let reuse = state.reuse;
      if (reuse?.counter !== counter) state.reuse = reuse = { counter, series: counter.seriesOf(state.attributes) };
      reuse.series.value += 1;
    } catch (error) {
      reportFailure(this.logger(), 'record reused', error);
    }
  }

  /** Records into a counter; a throwing recorder must not leave the bookkeeping half done. */
  private add(counter: 'created' | 'closed', attributes: Attributes): void {
    try {
      this.counters()[counter].add(1, attributes);
    } catch (error) {
      reportFailure(this.logger(), `record ${counter}`, error);
    }
  }

  /** Records a new connection ready for its first use. Idempotent per connection. */
  created(connection: object, attributes: Attributes): ConnectionState {
    const known = this.states.get(connection);
    if (known) return known;
    const state: ConnectionState = { attributes, uses: 0, inFlight: 0, readyAt: performance.now(), observedFromStart: true, reuse: undefined };
    this.states.set(connection, state);
    this.openStates.add(state);
    this.add('created', attributes);
    return state;
  }

  /**
   * Records one use of a connection the tracker knows. The first use of a
   * created connection is its own and is not counted as reused; every later
   * one is. Returns undefined, recording nothing, for a connection it does
   * not know: pass that one to `adopt()`. (No callback here: the hot path
   * allocates nothing.)
   */
  used(connection: object): ConnectionState | undefined {
    const state = this.states.get(connection);
    if (!state) return undefined;
    return this.countUse(state);
  }

  /**
   * Records one use of a connection first seen at a use (opened before
   * instrumentation began): it is adopted with `attributes`, and all its uses
   * count as reused, since none of them paid for setting it up.
   */
  adopt(connection: object, attributes: Attributes): ConnectionState {
    let state = this.states.get(connection);
    if (!state) {
      state = { attributes, uses: 0, inFlight: 0, readyAt: performance.now(), observedFromStart: false, reuse: undefined };
      this.states.set(connection, state);
      this.openStates.add(state);
    }
    return this.countUse(state);
  }

  private countUse(state: ConnectionState): ConnectionState {
    if (state.uses > 0 || !state.observedFromStart) this.reused(state);
    state.uses += 1;
    state.inFlight += 1;
    return state;
  }

  /** Ends one use begun with `used()`. */
  released(connection: object): ConnectionState | undefined {
    const state = this.states.get(connection);
    if (state && state.inFlight > 0) state.inFlight -= 1;
    return state;
  }

  /**
   * Records that a connection closed, with `error.type` when an error closed
   * it, and forgets it; returns its state (once) for lifetime metrics.
   */
  closed(connection: object, errorType?: string): ConnectionState | undefined {
    const state = this.states.get(connection);
    if (!state) return undefined;
    this.states.delete(connection);
    this.openStates.delete(state);
    state.inFlight = 0;
    this.add('closed', errorType === undefined ? state.attributes : { ...state.attributes, [ATTR_ERROR_TYPE]: errorType });
    return state;
  }

  get(connection: object): ConnectionState | undefined {
    return this.states.get(connection);
  }

  /** The connections open now, for observable callbacks. */
  open(): ReadonlySet<ConnectionState> {
    return this.openStates;
  }

  /**
   * Forgets every connection (on disable: gauges report nothing, and uses
   * that end later are not released into a state that no longer counts).
   * Connections still open are adopted on their next use after enable().
   */
  clear(): void {
    this.states = new WeakMap();
    this.openStates.clear();
  }
}

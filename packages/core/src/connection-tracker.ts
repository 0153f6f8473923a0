/*
 * Created-vs-reused bookkeeping. A connection is any object that identifies
 * it (a socket, a pg Client, an HTTP/2 session); its state is held weakly, so
 * a connection that is dropped without a close event leaves nothing behind.
 * Connections that are open are also kept in a set for the observable gauges,
 * and leave it when they close.
 */
import { performance } from 'node:perf_hooks';
import { diag, type Attributes, type Counter, type DiagLogger, type Histogram } from '@opentelemetry/api';
import { seriesIn, withAttribute } from './attribute-sets';
import type { ConnectionClaims } from './claims';
import { reportFailure } from './guard';
import { seconds } from './helpers';
import type { CounterSeries, SeriesCounter } from './series-counter';
import { ATTR_CONNECTION_CLOSE_REASON, ATTR_ERROR_TYPE, CLOSE_REASON_ERROR, ERROR_TYPE_OTHER, type CloseReason } from './semconv';

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
  /** When its last use ended (or it became ready, before any use), from `performance.now()`. */
  idleSince: number;
  /** False for a connection that was open before instrumentation began. */
  readonly observedFromStart: boolean;
  /** Free for the protocol package (e.g. attributes of its gauges). */
  extra?: unknown;
  /** The reused series this connection adds to, and the counter it belongs to. */
  reuse?: { readonly counter: SeriesCounter; readonly series: CounterSeries };
  /**
   * False for a connection another instance of the instrumentation counts for
   * the same MeterProvider: the tracker records nothing for it, and neither
   * should the package (see `ConnectionTracker.claim`).
   */
  readonly counted?: boolean;
}

export interface UseCounters {
  readonly created: SeriesCounter;
  readonly reused: SeriesCounter;
  readonly closed: SeriesCounter;
  readonly uses: Histogram;
  readonly idleTime: Histogram;
  readonly reuseFailed: Counter;
  /**
   * Which connections are this instance's to count for its MeterProvider
   * (set by ConnectionInstrumentationBase); absent, every connection is.
   */
  readonly claims?: ConnectionClaims;
}

/** How a connection ended, as the protocol package observed it. */
export interface CloseCause {
  readonly reason: CloseReason;
  /** `error.type`: recorded only with reason `error` (then `_OTHER` when absent). */
  readonly errorType?: string;
}

export class ConnectionTracker {
  private states = new WeakMap<object, ConnectionState>();
  /** Connections another instance counts: one inert state each, so that repeated sightings allocate nothing. */
  private foreign = new WeakMap<object, ConnectionState>();
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
      if (reuse?.counter !== counter) state.reuse = reuse = { counter, series: seriesIn(counter, state.attributes) };
      reuse.series.value += 1;
    } catch (error) {
      reportFailure(this.logger(), 'record reused', error);
    }
  }

  /** One connection created or closed: an increment of its set's series (resolved once per shared set, see attribute-sets.ts). */
  private count(counter: 'created' | 'closed', attributes: Attributes): void {
    try {
      seriesIn(this.counters()[counter], attributes).value += 1;
    } catch (error) {
      reportFailure(this.logger(), `record ${counter}`, error);
    }
  }

  /** Records into an instrument; a throwing recorder must not leave the bookkeeping half done. */
  private record(instrument: 'reuseFailed' | 'uses' | 'idleTime', value: number, attributes: Attributes): void {
    try {
      const target = this.counters()[instrument];
      if ('add' in target) target.add(value, attributes);
      else target.record(value, attributes);
    } catch (error) {
      reportFailure(this.logger(), `record ${instrument}`, error);
    }
  }

  /**
   * Whether this tracker counts `connection`: it does unless another instance
   * of the same instrumentation claimed it first for the same MeterProvider.
   * Packages ask before anything they record outside the tracker (failures,
   * durations, waits); `created()` and `adopt()` ask themselves.
   */
  claim(connection: object): boolean {
    if (this.states.has(connection)) return true;
    const claims = this.counters().claims;
    return claims === undefined || claims.claim(connection);
  }

  /** The inert state of a connection another instance counts: never open, never recorded. */
  private foreignState(connection: object, attributes: Attributes): ConnectionState {
    let state = this.foreign.get(connection);
    if (!state) {
      const now = performance.now();
      state = { attributes, uses: 0, inFlight: 0, readyAt: now, idleSince: now, observedFromStart: true, reuse: undefined, counted: false };
      this.foreign.set(connection, state);
    }
    return state;
  }

  /**
   * Records a new connection ready for its first use. Idempotent per
   * connection. A connection another instance counts gets an inert state
   * (`counted: false`) and records nothing.
   */
  created(connection: object, attributes: Attributes): ConnectionState {
    const known = this.states.get(connection);
    if (known) return known;
    if (!this.claim(connection)) return this.foreignState(connection, attributes);
    const now = performance.now();
    const state: ConnectionState = { attributes, uses: 0, inFlight: 0, readyAt: now, idleSince: now, observedFromStart: true, reuse: undefined };
    this.states.set(connection, state);
    this.openStates.add(state);
    this.count('created', attributes);
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
      if (!this.claim(connection)) return this.foreignState(connection, attributes);
      const now = performance.now();
      state = { attributes, uses: 0, inFlight: 0, readyAt: now, idleSince: now, observedFromStart: false, reuse: undefined };
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

  /** Ends one use begun with `used()`; the connection is idle from now when it was its last use in flight. */
  released(connection: object): ConnectionState | undefined {
    const state = this.states.get(connection);
    if (state && state.inFlight > 0 && --state.inFlight === 0) state.idleSince = performance.now();
    return state;
  }

  /**
   * Records a use that failed because its already-used connection broke
   * before any response (the keep-alive race). A failure on a connection's
   * first use is no reuse failure and records nothing. Returns whether it counted.
   */
  reuseFailed(connection: object, errorType: string): boolean {
    const state = this.states.get(connection);
    if (!state || (state.uses <= 1 && state.observedFromStart)) return false;
    this.record('reuseFailed', 1, withAttribute(state.attributes, ATTR_ERROR_TYPE, errorType));
    return true;
  }

  /**
   * Records that a connection closed and forgets it: `closed` with the close
   * reason (and `error.type` only when an error closed it), the uses it
   * served, and, when no use was in flight, how long it had been idle.
   * Returns its state (once) for lifetime metrics.
   */
  closed(connection: object, cause: CloseCause): ConnectionState | undefined {
    const state = this.states.get(connection);
    if (!state) return undefined;
    this.states.delete(connection);
    this.openStates.delete(state);
    const idle = state.inFlight === 0;
    state.inFlight = 0;
    let closeAttributes = withAttribute(state.attributes, ATTR_CONNECTION_CLOSE_REASON, cause.reason);
    if (cause.reason === CLOSE_REASON_ERROR) closeAttributes = withAttribute(closeAttributes, ATTR_ERROR_TYPE, cause.errorType ?? ERROR_TYPE_OTHER);
    this.count('closed', closeAttributes);
    // Adopted connections served uses before we saw them: their count is unknown.
    if (state.observedFromStart) this.record('uses', state.uses, state.attributes);
    if (idle) this.record('idleTime', seconds(state.idleSince), closeAttributes);
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
    this.foreign = new WeakMap();
    this.openStates.clear();
  }
}


/*
 * The postgres.js pools (one per `postgres()` call, and one per
 * `sql.listen()`/`sql.subscribe()` connection, which postgres.js makes with
 * its own `postgres()`), each with its slots and its own gauges. Pools are
 * held weakly: a pool the application drops is collected with its slots.
 */
import type { Attributes } from '@opentelemetry/api';
import { dbPoolAttributes, type DbPoolAttributes, type ObservedDbPool } from '@connmetrics/core';
import type { PostgresOptions, PostgresQueues } from './postgres-shapes';
import { defaultTarget, type ServerTarget } from './server-target';

/** What a slot tells its pool's gauges. */
export interface SlotView {
  /** Open (ready) and idle in the pool. */
  readonly idle: boolean;
  /** Open or opening and not idle: running queries, reserved, in a transaction, or connecting for a query. */
  readonly used: boolean;
}

export class PoolState {
  readonly slots = new Set<SlotView>();
  readonly target: ServerTarget;
  /**
   * Whether it ever connected: only then is it reported (every `postgres()`
   * also makes a pool for `sql.subscribe()` that connects only when used).
   */
  connected = false;
  /** The application ended (or closed) the pool and none of its connections is open: not reported. */
  endRequested = false;
  private named: DbPoolAttributes | undefined;

  constructor(
    readonly options: PostgresOptions,
    private readonly name: (target: ServerTarget) => string,
  ) {
    this.target = defaultTarget(options);
  }

  /** Named when first needed (at its first connection): the user's hook runs once per pool. */
  get attributes(): DbPoolAttributes {
    return (this.named ??= dbPoolAttributes(this.name(this.target)));
  }

  /** postgres.js's `max`: the slots it made. */
  get max(): number {
    const max = this.options.max;
    return typeof max === 'number' && Number.isFinite(max) && max >= 0 ? max : this.slots.size;
  }

  /** `idle_timeout` in milliseconds, when it is a number of seconds. */
  get idleTimeoutMs(): number | undefined {
    const value = this.options.idle_timeout;
    return typeof value === 'number' && value > 0 ? value * 1000 : undefined;
  }

  get poolAttributes(): Attributes {
    return this.attributes.pool;
  }

  observed(): ObservedDbPool | undefined {
    if (!this.connected) return undefined;
    let idle = 0;
    let used = 0;
    for (const slot of this.slots) {
      if (slot.idle) idle += 1;
      else if (slot.used) used += 1;
    }
    if (this.endRequested && idle === 0 && used === 0) return undefined;
    // postgres.js lets every connection sit idle and keeps none open when idle: idle.max = max, idle.min = 0.
    const max = this.max;
    return { attributes: this.attributes, counts: { idle, used, max, idleMax: max, idleMin: 0 } };
  }
}

export class PoolRegistry {
  private readonly byQueues = new WeakMap<PostgresQueues, PoolState>();
  private readonly states = new Set<WeakRef<PoolState>>();
  /** A pool collected with its postgres() instance leaves the set: nothing stays per dropped pool. */
  private readonly collected = new FinalizationRegistry<WeakRef<PoolState>>((ref) => this.states.delete(ref));

  constructor(private readonly name: (options: PostgresOptions, target: ServerTarget) => string) {}

  /** The pool of a slot being made: index.js gives every slot of one `postgres()` the same queues. */
  register(options: PostgresOptions, queues: PostgresQueues): PoolState {
    let state = this.byQueues.get(queues);
    if (state) return state;
    state = new PoolState(options, (target) => this.name(options, target));
    this.byQueues.set(queues, state);
    const ref = new WeakRef(state);
    this.states.add(ref);
    this.collected.register(state, ref);
    return state;
  }

  *observed(): Generator<ObservedDbPool> {
    for (const state of this.all()) {
      const observed = state.observed();
      if (observed) yield observed;
    }
  }

  /** Every pool still alive. */
  *all(): Generator<PoolState> {
    for (const ref of this.states) {
      const state = ref.deref();
      if (state) yield state;
      else this.states.delete(ref);
    }
  }
}

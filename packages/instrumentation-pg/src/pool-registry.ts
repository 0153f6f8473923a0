/*
 * The pg-pool pools in use, each with its own state, so that two pools never
 * share numbers. Pools are held weakly: a pool the application drops is
 * collected, and one that ended is forgotten at the next sweep.
 */
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_DB_CLIENT_CONNECTION_POOL_NAME,
  ATTR_DB_CLIENT_CONNECTION_STATE,
  DB_CLIENT_CONNECTION_STATE_IDLE,
  DB_CLIENT_CONNECTION_STATE_USED,
} from '@connmetrics/core';
import type { PgPool } from './internal-types';
import { poolOptionsTarget, type ServerTarget } from './server-target';

/** The attribute sets of one pool's metrics, computed once. */
export interface PoolAttributes {
  readonly name: string;
  /** `db.client.connection.pool.name`: the attributes of every pool metric. */
  readonly pool: Attributes;
  readonly used: Attributes;
  readonly idle: Attributes;
}

/** Names a pool from where it connects (the user's hook, else the default). */
export type PoolNamer = (pool: PgPool, target: ServerTarget) => string;

export class PoolState {
  private named: PoolAttributes | undefined;
  private readonly ref: WeakRef<PgPool>;

  constructor(
    pool: PgPool,
    private readonly namer: PoolNamer,
    /** Removes the listeners added to the pool. */
    readonly detach: () => void,
  ) {
    this.ref = new WeakRef(pool);
  }

  /** The pool, while the application still holds it. */
  get pool(): PgPool | undefined {
    return this.ref.deref();
  }

  /** Whether the pool has its name (from its first client seen, or its options). */
  get isNamed(): boolean {
    return this.named !== undefined;
  }

  /** Names the pool from the server of its first client seen, whose target pg resolved; once. */
  identify(target: ServerTarget): void {
    const pool = this.pool;
    if (!this.named && pool) this.named = attributesFor(this.namer(pool, target));
  }

  /** The pool's attributes; a pool none of whose clients was seen is named from its options. */
  get attributes(): PoolAttributes {
    if (!this.named) {
      const pool = this.pool;
      this.named = attributesFor(pool ? this.namer(pool, poolOptionsTarget(pool.options ?? {})) : '');
    }
    return this.named;
  }

  /** pg-pool's `connectionTimeoutMillis`, 0 when not set. */
  get connectionTimeoutMillis(): number {
    const value = this.pool?.options?.connectionTimeoutMillis;
    return typeof value === 'number' && value > 0 ? value : 0;
  }
}

function attributesFor(name: string): PoolAttributes {
  const pool = { [ATTR_DB_CLIENT_CONNECTION_POOL_NAME]: name };
  return {
    name,
    pool,
    used: { ...pool, [ATTR_DB_CLIENT_CONNECTION_STATE]: DB_CLIENT_CONNECTION_STATE_USED },
    idle: { ...pool, [ATTR_DB_CLIENT_CONNECTION_STATE]: DB_CLIENT_CONNECTION_STATE_IDLE },
  };
}

export class PoolRegistry {
  private byPool = new WeakMap<PgPool, PoolState>();
  private readonly states = new Set<PoolState>();

  /**
   * @param listen adds the instrumentation's listeners to a new pool and
   *   returns the function that removes them
   */
  constructor(
    private readonly namer: PoolNamer,
    private readonly listen: (pool: PgPool, state: PoolState) => () => void,
  ) {}

  /** The state of a pool, registering it on first sight. */
  register(pool: PgPool): PoolState {
    let state = this.byPool.get(pool);
    if (state) return state;
    this.sweep();
    let detach: () => void = () => {};
    state = new PoolState(pool, this.namer, () => detach());
    detach = this.listen(pool, state);
    this.byPool.set(pool, state);
    this.states.add(state);
    return state;
  }

  get(pool: PgPool): PoolState | undefined {
    return this.byPool.get(pool);
  }

  /** The pools still in use, with their states; forgets the others. */
  *live(): Generator<readonly [PgPool, PoolState]> {
    for (const state of this.states) {
      const pool = state.pool;
      if (!pool || pool.ended === true) {
        this.forget(state);
        continue;
      }
      yield [pool, state];
    }
  }

  /** Forgets every pool and removes every listener added to them. */
  clear(): void {
    for (const state of this.states) state.detach();
    this.states.clear();
    this.byPool = new WeakMap();
  }

  private sweep(): void {
    for (const state of this.states) {
      const pool = state.pool;
      if (!pool || pool.ended === true) this.forget(state);
    }
  }

  private forget(state: PoolState): void {
    state.detach();
    this.states.delete(state);
    const pool = state.pool;
    if (pool) this.byPool.delete(pool);
  }
}

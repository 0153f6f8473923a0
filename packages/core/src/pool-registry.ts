/*
 * The database pools in use, each with its own state, so that two pools never
 * share numbers: shared by the database instrumentations (pg-pool, mysql2),
 * each of which says how a pool is named and when it has ended. Pools are held
 * weakly: a pool the application drops is collected, and one that ended is
 * forgotten at the next sweep.
 */
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_DB_CLIENT_CONNECTION_POOL_NAME,
  ATTR_DB_CLIENT_CONNECTION_STATE,
  DB_CLIENT_CONNECTION_STATE_IDLE,
  DB_CLIENT_CONNECTION_STATE_USED,
} from './semconv';

/** The attribute sets of one pool's metrics, computed once. */
export interface PoolAttributes {
  readonly name: string;
  /** `db.client.connection.pool.name`: the attributes of every pool metric. */
  readonly pool: Attributes;
  readonly used: Attributes;
  readonly idle: Attributes;
}

export function poolAttributes(name: string): PoolAttributes {
  const pool = { [ATTR_DB_CLIENT_CONNECTION_POOL_NAME]: name };
  return {
    name,
    pool,
    used: { ...pool, [ATTR_DB_CLIENT_CONNECTION_STATE]: DB_CLIENT_CONNECTION_STATE_USED },
    idle: { ...pool, [ATTR_DB_CLIENT_CONNECTION_STATE]: DB_CLIENT_CONNECTION_STATE_IDLE },
  };
}

/** One registered pool: its attributes (named once, on first need) and the listeners added to it. */
export class PoolEntry<Pool extends object> {
  private named: PoolAttributes | undefined;
  private readonly ref: WeakRef<Pool>;

  constructor(
    pool: Pool,
    private readonly namer: () => string,
    /** Removes the listeners added to the pool. */
    readonly detach: () => void,
  ) {
    this.ref = new WeakRef(pool);
  }

  /** The pool, while the application still holds it. */
  get pool(): Pool | undefined {
    return this.ref.deref();
  }

  get attributes(): PoolAttributes {
    return (this.named ??= poolAttributes(this.namer()));
  }
}

export interface PoolRegistryOptions<Pool extends object> {
  /** Whether the pool has ended (it is then forgotten and its listeners removed). */
  readonly ended: (pool: Pool) => boolean;
  /** Adds the instrumentation's listeners to a new pool; returns what removes them. */
  readonly listen?: (pool: Pool) => () => void;
}

export class PoolRegistry<Pool extends object> {
  private byPool = new WeakMap<Pool, PoolEntry<Pool>>();
  private readonly entries = new Set<PoolEntry<Pool>>();

  constructor(private readonly options: PoolRegistryOptions<Pool>) {}

  /** The entry of a pool, registering it on first sight with `name` (called once, when first needed). */
  register(pool: Pool, name: () => string): PoolEntry<Pool> {
    let entry = this.byPool.get(pool);
    if (entry) return entry;
    this.sweep();
    let detach: () => void = () => {};
    entry = new PoolEntry(pool, name, () => detach());
    detach = this.options.listen?.(pool) ?? detach;
    this.byPool.set(pool, entry);
    this.entries.add(entry);
    return entry;
  }

  get(pool: Pool): PoolEntry<Pool> | undefined {
    return this.byPool.get(pool);
  }

  /** The pools still in use, with their entries; forgets the others. */
  *live(): Generator<readonly [Pool, PoolEntry<Pool>]> {
    for (const entry of this.entries) {
      const pool = entry.pool;
      if (!pool || this.options.ended(pool)) {
        this.forget(entry);
        continue;
      }
      yield [pool, entry];
    }
  }

  /** Forgets every pool and removes every listener added to them. */
  clear(): void {
    for (const entry of this.entries) entry.detach();
    this.entries.clear();
    this.byPool = new WeakMap();
  }

  private sweep(): void {
    for (const entry of this.entries) {
      const pool = entry.pool;
      if (!pool || this.options.ended(pool)) this.forget(entry);
    }
  }

  private forget(entry: PoolEntry<Pool>): void {
    entry.detach();
    this.entries.delete(entry);
    const pool = entry.pool;
    if (pool) this.byPool.delete(pool);
  }
}

/*
 * The database pools an instrumentation follows, each with its own state, so
 * that two pools never share numbers: shared by the database instrumentations
 * (pg, mysql2, postgres.js), each of which says how a pool is named, what it
 * holds, when it has ended and which instance counts it. Pools are held
 * weakly: a pool the application drops is collected, and one that ended is
 * forgotten at the next sweep.
 *
 * Counted once per MeterProvider: every pool metric (the gauges, and the
 * timings through `PoolEntry.counted()`) is recorded only by the instance
 * that claims the pool (see claims.ts); the other instances hold the pool
 * but record nothing for it.
 */
import type { Attributes, DiagLogger } from '@opentelemetry/api';
import { safeExecuteInTheMiddle } from '@opentelemetry/instrumentation';
import { reportFailure } from './guard';
import type { PoolCounts } from './pool-gauges';
import {
  ATTR_DB_CLIENT_CONNECTION_POOL_NAME,
  ATTR_DB_CLIENT_CONNECTION_STATE,
  DB_CLIENT_CONNECTION_STATE_IDLE,
  DB_CLIENT_CONNECTION_STATE_USED,
} from './semconv';

/** Where a database client connects: `server.address`, `server.port` and the database. */
export interface DbServerTarget {
  readonly address?: string;
  readonly port?: number;
  readonly database?: string;
}

/** The conventions' fallback pool name: `server.address:server.port/database`. */
export function defaultPoolName(target: DbServerTarget): string {
  return `${target.address ?? ''}:${target.port ?? ''}/${target.database ?? ''}`;
}

/**
 * A pool's name from the user's `poolName` hook: what it returns when that is
 * a non-empty string, else `defaultName` (also when it throws, which is
 * logged once through `logger`). `details` is built only when there is a hook.
 */
export function poolNameFromHook<Info extends { readonly defaultName: string }>(
  hook: ((info: Info) => string | undefined) | undefined,
  defaultName: string,
  details: () => Omit<Info, 'defaultName'>,
  logger: DiagLogger,
): string {
  if (!hook) return defaultName;
  const name = safeExecuteInTheMiddle(
    () => hook({ ...details(), defaultName } as Info),
    (error) => {
      if (error) reportFailure(logger, 'poolName (user hook; the default name is used)', error);
    },
    true,
  );
  return typeof name === 'string' && name.length > 0 ? name : defaultName;
}

/** The attribute sets of one pool's metrics, computed once per pool (the `.v1` shape of pool-gauges.ts). */
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

/** A pool as the timings see it: its attributes, and whether this instance counts it now. */
export interface CountedPool {
  readonly attributes: PoolAttributes;
  counted(): boolean;
}

export interface PoolRegistryOptions<Pool extends object, Source extends object = object> {
  /**
   * Names a pool, once, when its name is first needed. `source` is what the
   * pool was first registered with (a connection of it, say), held weakly:
   * undefined once collected. Neither is held by the registry beyond that.
   */
  readonly name: (pool: Pool, source: Source | undefined) => string;
  /**
   * Whether this instance counts the pool for its MeterProvider: the
   * instrumentation's `claim()` of an object every instance sees for this
   * pool (the library's pool itself, or what stands for it).
   */
  readonly claim: (pool: Pool) => boolean;
  /**
   * The instrumentation's `claimEpoch()`: while it is unchanged, a pool once
   * claimed stays claimed, and `counted()` answers without reading the pool
   * (a WeakRef's deref() allocates V8's keep-during-job set, about 240 bytes
   * per checkout).
   */
  readonly claimEpoch: () => number;
  /** What the pool holds now, for the gauges; undefined: not reported at this collection. */
  readonly counts: (pool: Pool) => PoolCounts | undefined;
  /** Whether the pool has ended (it is then forgotten and its listeners removed); by default only a collected pool is. */
  readonly ended?: (pool: Pool) => boolean;
  /** Adds the instrumentation's listeners to a new pool. */
  readonly listen?: (pool: Pool) => void;
  /** Removes them, from a pool that ended and from every pool at clear(). */
  readonly unlisten?: (pool: Pool) => void;
}

/**
 * One registered pool: its attributes (named once, on first need). It holds
 * the pool and its source weakly, and nothing that holds them: a pool the
 * application drops is collected even while registered.
 */
export class PoolEntry<Pool extends object, Source extends object = object> implements CountedPool {
  private named: PoolAttributes | undefined;
  /** The claim epoch in which `counted()` last returned true. */
  private countedInEpoch: number | undefined;
  private readonly ref: WeakRef<Pool>;
  private readonly source: WeakRef<Source> | undefined;

  constructor(
    pool: Pool,
    source: Source | undefined,
    private readonly options: PoolRegistryOptions<Pool, Source>,
  ) {
    this.ref = new WeakRef(pool);
    this.source = source === undefined ? undefined : new WeakRef(source);
  }

  /** The pool, while the application still holds it. */
  get pool(): Pool | undefined {
    return this.ref.deref();
  }

  get attributes(): PoolAttributes {
    if (this.named === undefined) {
      const pool = this.ref.deref();
      this.named = poolAttributes(pool === undefined ? '' : this.options.name(pool, this.source?.deref()));
    }
    return this.named;
  }

  /**
   * Names the pool from `source` now, unless it is named already: for a
   * library that shows a pool before what names it (pg-pool's first checkout
   * comes before its first client). A field check once named: callable per use.
   */
  identify(source: Source): void {
    if (this.named !== undefined) return;
    const pool = this.ref.deref();
    if (pool !== undefined) this.named = poolAttributes(this.options.name(pool, source));
  }

  /** Whether this instance records the pool's metrics now (a WeakMap look-up; see claims.ts). */
  counted(): boolean {
    const epoch = this.options.claimEpoch();
    if (epoch === this.countedInEpoch) return true;
    const pool = this.ref.deref();
    const counted = pool !== undefined && this.options.claim(pool);
    this.countedInEpoch = counted ? epoch : undefined;
    return counted;
  }

  /** Gone or ended. */
  get over(): boolean {
    const pool = this.ref.deref();
    return pool === undefined || this.options.ended?.(pool) === true;
  }
}

export class PoolRegistry<Pool extends object, Source extends object = object> {
  private byPool = new WeakMap<Pool, PoolEntry<Pool, Source>>();
  /** Every registered pool's entry (a pg test fixture reads its size: no pool left behind). */
  private readonly states = new Set<PoolEntry<Pool, Source>>();

  constructor(private readonly options: PoolRegistryOptions<Pool, Source>) {}

  /** The entry of a pool, registering it on first sight (`source` is handed to the `name` option). */
  register(pool: Pool, source?: Source): PoolEntry<Pool, Source> {
    let entry = this.byPool.get(pool);
    if (entry) return entry;
    this.sweep();
    entry = new PoolEntry(pool, source, this.options);
    this.options.listen?.(pool);
    this.byPool.set(pool, entry);
    this.states.add(entry);
    return entry;
  }

  get(pool: Pool): PoolEntry<Pool, Source> | undefined {
    return this.byPool.get(pool);
  }

  /** The pools still in use, with their entries; forgets the others. */
  *live(): Generator<readonly [Pool, PoolEntry<Pool, Source>]> {
    for (const entry of this.states) {
      const pool = entry.pool;
      if (pool === undefined || entry.over) this.forget(entry);
      else yield [pool, entry];
    }
  }

  /** What the gauges report at a collection: the live pools this instance counts, with what they hold. */
  *observed(): Generator<readonly [PoolAttributes, PoolCounts]> {
    for (const [pool, entry] of this.live()) {
      if (!this.options.claim(pool)) continue;
      const counts = this.options.counts(pool);
      if (counts) yield [entry.attributes, counts];
    }
  }

  /** Forgets every pool and removes every listener added to them. */
  clear(): void {
    for (const entry of this.states) this.unlisten(entry);
    this.states.clear();
    this.byPool = new WeakMap();
  }

  private sweep(): void {
    for (const entry of this.states) if (entry.over) this.forget(entry);
  }

  private forget(entry: PoolEntry<Pool, Source>): void {
    this.unlisten(entry);
    this.states.delete(entry);
    const pool = entry.pool;
    if (pool) this.byPool.delete(pool);
  }

  private unlisten(entry: PoolEntry<Pool, Source>): void {
    const pool = entry.pool;
    if (pool) this.options.unlisten?.(pool);
  }
}

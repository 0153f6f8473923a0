/*
 * postgres.js 4's pools and connections, as its channel messages show them.
 * No pool object is published: a pool is its server target (host, port,
 * database), with the counts postgres.js published last for it. Connections
 * are published by id (unique in the process, per copy of postgres.js): each
 * id stands for one object here, shared by every instance of the
 * instrumentation (and copy of it), so that one instance per MeterProvider
 * counts it (see core's claims).
 */
import { serverPort, type DbServerTarget, type PoolCounts } from '@connmetrics/core';
import { addressOf, POSTGRES_DEFAULT_PORT } from './server-target';
import type { PoolStats } from './v4-channels';

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0);

export class V4Pool {
  /** What postgres.js published with its last event. */
  stats: PoolStats | undefined = undefined;

  constructor(readonly target: DbServerTarget) {}

  /** Its queue is published too: pending is reported. Its `max` is not (no options in the messages). */
  counts(): PoolCounts | undefined {
    const stats = this.stats;
    if (stats === undefined) return undefined;
    const idle = count(stats.idle);
    return { total: Math.max(idle, count(stats.connections) + count(stats.opening)), idle, pending: count(stats.waiting) };
  }
}

interface Shared {
  readonly pools: Map<string, V4Pool>;
  readonly connections: Map<number, object>;
}

const SHARED = Symbol.for('connmetrics.postgres.v4.v1');

function shared(): Shared {
  const holder = globalThis as { [SHARED]?: Shared };
  return (holder[SHARED] ??= { pools: new Map(), connections: new Map() });
}

/** A message's server target: a Unix socket path or a host, its port, and the database. */
export function targetOf(host: unknown, port: unknown, database: unknown, path?: unknown): DbServerTarget {
  const socketPath = typeof path === 'string' && path.length > 0 ? path : undefined;
  return {
    address: socketPath ?? addressOf(host),
    port: socketPath ? undefined : serverPort(port, POSTGRES_DEFAULT_PORT),
    database: typeof database === 'string' && database.length > 0 ? database : undefined,
  };
}

/** The pool of a target (one per server and database in the process). */
export function v4Pool(target: DbServerTarget): V4Pool {
  const pools = shared().pools;
  const key = `${target.address ?? ''}\u0000${target.port ?? ''}\u0000${target.database ?? ''}`;
  let pool = pools.get(key);
  if (!pool) pools.set(key, (pool = new V4Pool(target)));
  return pool;
}

/** The object that stands for connection `id` (made at its first sighting). */
export function connectionKey(id: number): object {
  const connections = shared().connections;
  let key = connections.get(id);
  if (!key) connections.set(id, (key = { id }));
  return key;
}

/** Connection `id` closed: forgotten once every instance has seen the close (and the failures it settles). */
export function connectionClosed(id: number): void {
  setImmediate(() => shared().connections.delete(id)).unref();
}

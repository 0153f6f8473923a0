/*
 * How a connection attempt ends: the client's `ready` (created), or its
 * `close`/`end` before it (failed). Listeners live for one attempt only and
 * are removed when it settles or on disable(). No 'error' listener is ever
 * added: ioredis decides whether to print unhandled errors by counting those.
 */
import type { DiagLogger } from '@opentelemetry/api';
import { reportFailure } from '@connmetrics/core';
import type { RedisClient } from './redis-shapes';

type Listener = (...args: unknown[]) => void;

export class ConnectWatch {
  private readonly pending = new Map<RedisClient, ReadonlyArray<readonly [string, Listener]>>();

  constructor(
    private readonly settled: (client: RedisClient, ready: boolean) => void,
    private readonly diag: DiagLogger,
  ) {}

  watch(client: RedisClient): void {
    if (typeof client.once !== 'function' || typeof client.removeListener !== 'function') return;
    this.stop(client);
    const settle = (ready: boolean) => () => {
      try {
        this.stop(client);
        this.settled(client, ready);
      } catch (error) {
        reportFailure(this.diag, 'ioredis connection', error);
      }
    };
    const listeners: Array<readonly [string, Listener]> = [
      ['ready', settle(true)],
      ['close', settle(false)],
      ['end', settle(false)],
    ];
    this.pending.set(client, listeners);
    for (const [event, listener] of listeners) client.once(event, listener);
  }

  stop(client: RedisClient): void {
    const listeners = this.pending.get(client);
    if (!listeners) return;
    this.pending.delete(client);
    for (const [event, listener] of listeners) client.removeListener?.(event, listener);
  }

  stopAll(): void {
    for (const client of [...this.pending.keys()]) this.stop(client);
  }
}

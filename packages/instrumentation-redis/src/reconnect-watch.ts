import { reportFailure } from '@connmetrics/core';
import type { DiagLogger } from '@opentelemetry/api';
import type { RedisClient } from './redis-shapes';

/*
 * 'reconnecting' listeners on the clients the naming patch saw. node-redis
 * emits 'reconnecting' and creates the next socket in the same synchronous
 * run, so the listener can hand that socket's DNS, TCP and TLS phases to the
 * shared socket timing. Never an 'error' listener (that would change what
 * node-redis does with unhandled errors). Removed when the client closes or
 * the instrumentation is disabled.
 */
export class ReconnectWatch {
  private readonly listeners = new Map<string, { readonly client: RedisClient; readonly listener: () => void }>();

  constructor(
    private readonly onReconnecting: (clientId: string) => void,
    private readonly diag: DiagLogger,
  ) {}

  watch(clientId: string, client: RedisClient): void {
    if (this.listeners.has(clientId) || typeof client.on !== 'function') return;
    const listener = () => {
      try {
        this.onReconnecting(clientId);
      } catch (error) {
        reportFailure(this.diag, 'node-redis reconnecting', error);
      }
    };
    this.listeners.set(clientId, { client, listener });
    client.on('reconnecting', listener);
  }

  stop(clientId: string): void {
    const entry = this.listeners.get(clientId);
    if (!entry) return;
    this.listeners.delete(clientId);
    entry.client.removeListener?.('reconnecting', entry.listener);
  }

  stopAll(): void {
    for (const clientId of [...this.listeners.keys()]) this.stop(clientId);
  }

  get size(): number {
    return this.listeners.size;
  }
}

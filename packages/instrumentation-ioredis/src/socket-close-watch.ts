import { reportFailure } from '@connmetrics/core';
import type { DiagLogger } from '@opentelemetry/api';
import type { RedisSocket } from './redis-shapes';

/**
 * 'close' listeners on the sockets of tracked connections, removed when the
 * socket closes or when the instrumentation is disabled.
 */
export class SocketCloseWatch {
  private readonly listeners = new Map<RedisSocket, () => void>();

  constructor(
    private readonly onClose: (socket: RedisSocket) => void,
    private readonly diag: DiagLogger,
  ) {}

  watch(socket: RedisSocket): void {
    if (this.listeners.has(socket)) return;
    if (socket.closed === true) {
      this.onClose(socket);
      return;
    }
    const listener = () => {
      this.listeners.delete(socket);
      try {
        this.onClose(socket);
      } catch (error) {
        reportFailure(this.diag, 'ioredis socket close', error);
      }
    };
    this.listeners.set(socket, listener);
    socket.once('close', listener);
  }

  stopAll(): void {
    for (const [socket, listener] of this.listeners) socket.removeListener?.('close', listener);
    this.listeners.clear();
  }
}

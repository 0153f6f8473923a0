/*
 * Connection attempts in progress. A Redis client has one connection at a
 * time; every connect() (the first, and each reconnect) is an attempt that
 * ends at `ready` or fails. The attempt's socket is whichever socket the
 * client holds that it did not hold when the attempt began: ioredis creates
 * it a tick after connect() and replaces it on the next attempt.
 */
import { performance } from 'node:perf_hooks';
import type { RedisClient, RedisSocket } from './redis-shapes';

export interface ConnectAttempt {
  readonly client: RedisClient;
  /** `performance.now()` when connect() was called. */
  readonly startedAt: number;
  readonly previousSocket: RedisSocket | undefined;
  /** The first failure of a handshake command that ioredis treats as fatal. */
  handshakeError?: unknown;
  /** True once counted as created or failed. */
  settled: boolean;
}

export class ConnectAttempts {
  private byClient = new WeakMap<RedisClient, ConnectAttempt>();

  begin(client: RedisClient): ConnectAttempt {
    const attempt: ConnectAttempt = { client, startedAt: performance.now(), previousSocket: client.stream, settled: false };
    this.byClient.set(client, attempt);
    return attempt;
  }

  /** The client's latest attempt that is neither created nor failed yet. */
  unsettled(client: RedisClient): ConnectAttempt | undefined {
    const attempt = this.byClient.get(client);
    return attempt && !attempt.settled ? attempt : undefined;
  }

  clear(): void {
    this.byClient = new WeakMap();
  }
}

/** The socket of an attempt, once ioredis has created it. */
export function socketOf(attempt: ConnectAttempt): RedisSocket | undefined {
  const socket = attempt.client.stream;
  return socket && socket !== attempt.previousSocket ? socket : undefined;
}

/*
 * Which client is publishing. ioredis's tracing channel messages name the
 * server and the command but not the client, and two clients of one server
 * (or the nodes of a cluster) cannot be told apart from them. The messages
 * are published synchronously inside `Redis#connect()` and `Redis#sendCommand()`,
 * so a wrapper of those two methods that records `this` for the duration of
 * the call tells the channel handlers which client each message is about.
 * The wrappers record and nothing else: counting stays with the channels.
 */
import type { RedisClient } from './redis-shapes';

let current: RedisClient | undefined;

/** The client whose `connect()` or `sendCommand()` is running now, if any. */
export function currentClient(): RedisClient | undefined {
  return current;
}

/** Wraps a `Redis.prototype` method so that its calls name their client (while `active()`). */
export function namingClient<F extends (...args: any[]) => unknown>(original: F, active: () => boolean): F {
  return function namingClientWrapper(this: RedisClient) {
    if (!active()) return original.apply(this, arguments as unknown as unknown[]);
    const previous = current;
    current = this;
    try {
      return original.apply(this, arguments as unknown as unknown[]);
    } finally {
      current = previous;
    }
  } as unknown as F;
}

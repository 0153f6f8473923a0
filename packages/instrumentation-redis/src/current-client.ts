/*
 * Which client is connecting. node-redis's channel messages name a client by
 * id only, and two things need the client itself: its `name` (the pool name)
 * and its 'reconnecting' event (which announces the socket of a reconnect).
 * `node-redis:connect` is published synchronously inside `RedisClient#connect()`,
 * so a wrapper of that one method that records `this` for the duration of the
 * call tells the channel handler which client the message is about. The
 * wrapper records and nothing else: counting stays with the channels.
 */
import type { RedisClient } from './redis-shapes';

let current: RedisClient | undefined;

/** The client whose `connect()` is running now, if any. */
export function currentClient(): RedisClient | undefined {
  return current;
}

/** Wraps `RedisClient.prototype.connect` so that its calls name their client (while `active()`). */
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

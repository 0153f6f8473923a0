import type { RedisClient } from './redis-shapes';

/**
 * What happens to ioredis connections, as this package counts it. The
 * tracing channels report these events for ioredis 5.11 and later; the
 * legacy patches report them for earlier versions. Tokens identify one
 * attempt or one command from its start to its end.
 */
export interface RedisEvents {
  /** `connect()` was called; returns false when it makes no attempt (already connecting or connected). */
  connectStarted(client: RedisClient, attempt: object): boolean;
  /** The attempt reached `ready`. */
  connectSucceeded(attempt: object): void;
  /** The attempt ended before `ready`. */
  connectFailed(attempt: object, error: unknown): void;
  /** A command was written to the client's connection. */
  commandStarted(client: RedisClient, command: object, name: unknown, firstArgument: unknown): void;
  /** Its reply (or failure) arrived. */
  commandEnded(command: object, failed: boolean, error: unknown): void;
}

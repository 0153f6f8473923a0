/**
 * ioredis's tracing channels (ioredis 5.11 and later) this package reads,
 * each named once. `connect` spans one connection attempt, from
 * `Redis#connect()` to `ready` (asyncEnd) or failure (asyncEnd with `error`);
 * `command` spans one command from the moment it is written to the socket to
 * its reply, and is published once per command even when ioredis resends it.
 */
export const IORedisChannel = {
  ConnectStart: 'tracing:ioredis:connect:start',
  ConnectAsyncEnd: 'tracing:ioredis:connect:asyncEnd',
  CommandStart: 'tracing:ioredis:command:start',
  CommandAsyncEnd: 'tracing:ioredis:command:asyncEnd',
} as const;

/** The fields of an `ioredis:connect` message this package reads. */
export interface ConnectContext {
  serverAddress?: string;
  serverPort?: number;
  /** Set on asyncEnd when the attempt failed. */
  error?: unknown;
}

/** The fields of an `ioredis:command` message this package reads. */
export interface CommandContext {
  /** The command name, as the application spelled it. */
  command?: string;
  /** Arguments, already redacted by ioredis; only the CLUSTER sub-command is read here. */
  args?: unknown[];
  serverAddress?: string;
  serverPort?: number;
  /** Set on asyncEnd when the command failed. */
  error?: unknown;
}

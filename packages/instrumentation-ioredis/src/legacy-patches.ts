import { reportFailure } from '@connmetrics/core';
/*
 * Counting for ioredis versions without tracing channels (5.0 to 5.10). The
 * wrappers report the same events the channels report for later versions:
 * a command when it is written to the socket (it is then the newest entry of
 * the client's command queue), once even if ioredis sends it again after a
 * reconnect; a connection attempt from `connect()` to the client's `ready`,
 * `close` or `end` event. No 'error' listener is ever added: ioredis decides
 * whether to print unhandled errors by counting those.
 */
import type { DiagLogger } from '@opentelemetry/api';
import type { RedisEvents } from './redis-events';
import type { RedisClient, RedisCommand } from './redis-shapes';

type Listener = (...args: unknown[]) => void;

/** Client listeners of attempts in progress, so that disable() can remove them. */
export class LegacyConnectWatch {
  private readonly pending = new Map<RedisClient, ReadonlyArray<readonly [string, Listener]>>();

  constructor(
    private readonly events: () => RedisEvents,
    private readonly diag: DiagLogger,
  ) {}

  watch(client: RedisClient, attempt: object): void {
    if (typeof client.once !== 'function' || typeof client.removeListener !== 'function') return;
    this.stop(client);
    const settle = (succeeded: boolean) => () => {
      try {
        this.stop(client);
        if (succeeded) this.events().connectSucceeded(attempt);
        else this.events().connectFailed(attempt, undefined);
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

export interface LegacyHooks {
  readonly events: () => RedisEvents;
  readonly connectWatch: LegacyConnectWatch;
  readonly diag: DiagLogger;
  /** Commands already reported, so that a command ioredis sends again is one use. */
  readonly reported: WeakSet<object>;
}

export function legacyConnect(original: (...args: unknown[]) => unknown, active: () => boolean, hooks: LegacyHooks) {
  return function connectCounting(this: RedisClient) {
    if (!active()) return original.apply(this, arguments as unknown as unknown[]);
    try {
      const attempt = {};
      if (hooks.events().connectStarted(this, attempt)) hooks.connectWatch.watch(this, attempt);
    } catch (error) {
      reportFailure(hooks.diag, 'ioredis connect', error);
    }
    return original.apply(this, arguments as unknown as unknown[]);
  };
}

export function legacySendCommand(original: (...args: unknown[]) => unknown, active: () => boolean, hooks: LegacyHooks) {
  return function sendCommandCounting(this: RedisClient) {
    const command = arguments[0] as RedisCommand | undefined;
    const result = original.apply(this, arguments as unknown as unknown[]);
    if (!active()) return result;
    try {
      if (command && typeof command === 'object' && !hooks.reported.has(command) && this.commandQueue?.peekBack?.()?.command === command) {
        hooks.reported.add(command);
        hooks.events().commandStarted(this, command, command.name, command.args?.[0]);
        reportSettlement(command, hooks);
      }
    } catch (error) {
      reportFailure(hooks.diag, 'ioredis sendCommand', error);
    }
    return result;
  };
}

/** Reports a command's end by wrapping its own resolve/reject (its promise is left untouched). */
function reportSettlement(command: RedisCommand, hooks: LegacyHooks): void {
  const { resolve, reject } = command;
  if (typeof resolve !== 'function' || typeof reject !== 'function') return;
  const ended = (failed: boolean, error: unknown) => {
    try {
      hooks.events().commandEnded(command, failed, error);
    } catch (hookError) {
      reportFailure(hooks.diag, 'ioredis command', hookError);
    }
  };
  command.resolve = function resolveCounting(this: unknown, value: unknown) {
    ended(false, undefined);
    return resolve.call(this, value);
  };
  command.reject = function rejectCounting(this: unknown, error: unknown) {
    ended(true, error);
    return reject.call(this, error);
  };
}

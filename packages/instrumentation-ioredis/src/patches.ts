/*
 * The one hook path, for every supported ioredis (5.0 to 6): three methods of
 * ioredis's internal files, patched through InstrumentationNodeModuleFile so
 * that they apply however the application loads ioredis (require, import,
 * `await import()` after an in-code setup, zero-code): those files are always
 * loaded by ioredis's own CommonJS `require`.
 *
 * - `Redis#connect` (built/Redis.js): a connection attempt starts;
 * - `Redis#sendCommand`: a command was written (or queued while offline);
 * - `DataHandler#shiftCommand` (built/DataHandler.js): a reply arrived and
 *   took the oldest command of the queue.
 *
 * Each wrapper calls the original with the same arguments and returns its
 * result; the hooks run after it, guarded. ioredis 5.11+'s tracing channels
 * are not used: they report the same events, but subscribing to them makes
 * ioredis trace every command's promise (≈ 0.8 µs per command), while the
 * wrapper runs anyway.
 *
 * InstrumentationBase remembers only the last copy it patched, so this class
 * keeps every patched prototype itself: disable() removes the wrappers of all
 * of them and enable() installs them all again.
 */
import { InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } from '@opentelemetry/instrumentation';
import { MethodWrap, type WrapperFactory } from '@connmetrics/core';
import type { RedisClient, RedisDataHandler } from './redis-shapes';

export const MODULE_NAME = 'ioredis';
export const SUPPORTED_VERSIONS = ['>=5.0.0 <7'];
export const REDIS_FILE = 'ioredis/built/Redis.js';
export const DATA_HANDLER_FILE = 'ioredis/built/DataHandler.js';

/** What the wrappers report; the instrumentation guards each hook. */
export interface RedisHooks {
  /** `connect()` is about to run on a client. */
  connecting(client: RedisClient): void;
  /** `sendCommand(command)` returned: the command is written, or queued offline. */
  commandSent(client: RedisClient, command: unknown): void;
  /** A reply (an Error for an error reply) took `item` off the client's command queue. */
  replied(handler: RedisDataHandler, item: unknown, reply: unknown): void;
}


function connecting(hooks: RedisHooks): WrapperFactory {
  return (original, active) =>
    function connect(this: RedisClient) {
      if (active()) hooks.connecting(this);
      return original.apply(this, arguments as unknown as unknown[]);
    };
}

function sendCommand(hooks: RedisHooks): WrapperFactory {
  return (original, active) =>
    function sendCommand(this: RedisClient, command: unknown) {
      const result = original.apply(this, arguments as unknown as unknown[]);
      if (active()) hooks.commandSent(this, command);
      return result;
    };
}

function shiftCommand(hooks: RedisHooks): WrapperFactory {
  return (original, active) =>
    function shiftCommand(this: RedisDataHandler, reply: unknown) {
      const item = original.apply(this, arguments as unknown as unknown[]);
      if (item && active()) hooks.replied(this, item, reply);
      return item;
    };
}

/** The class a compiled ioredis file exports as `default` (CommonJS, or the ESM namespace). */
function defaultExport(moduleExports: unknown): { prototype?: Record<string, unknown> } | undefined {
  const exports = moduleExports as { default?: unknown } | undefined;
  const value = exports?.default ?? exports;
  return typeof value === 'function' ? (value as { prototype?: Record<string, unknown> }) : undefined;
}

export class RedisPatches {
  /** Every patched prototype's wraps, each with its factory. */
  private readonly wraps = new Map<Record<string, unknown>, Array<readonly [MethodWrap, WrapperFactory]>>();

  constructor(private readonly hooks: RedisHooks) {}

  definition(): InstrumentationNodeModuleDefinition {
    const patchFile = (file: string, methods: ReadonlyArray<readonly [string, WrapperFactory]>) =>
      new InstrumentationNodeModuleFile(
        file,
        SUPPORTED_VERSIONS,
        (moduleExports: unknown) => {
          this.patch(defaultExport(moduleExports)?.prototype, methods);
          return moduleExports;
        },
        (moduleExports: unknown) => this.unpatch(defaultExport(moduleExports)?.prototype),
      );
    return new InstrumentationNodeModuleDefinition(MODULE_NAME, SUPPORTED_VERSIONS, undefined, undefined, [
      patchFile(REDIS_FILE, [
        ['connect', connecting(this.hooks)],
        ['sendCommand', sendCommand(this.hooks)],
      ]),
      patchFile(DATA_HANDLER_FILE, [['shiftCommand', shiftCommand(this.hooks)]]),
    ]);
  }

  /** Patches the prototype of a copy of Redis or DataHandler loaded before the instrumentation (found in the module cache). */
  patchLoaded(file: typeof REDIS_FILE | typeof DATA_HANDLER_FILE, moduleExports: unknown): boolean {
    const prototype = defaultExport(moduleExports)?.prototype;
    if (!prototype) return false;
    this.patch(
      prototype,
      file === REDIS_FILE
        ? [
            ['connect', connecting(this.hooks)],
            ['sendCommand', sendCommand(this.hooks)],
          ]
        : [['shiftCommand', shiftCommand(this.hooks)]],
    );
    return this.wraps.has(prototype);
  }

  /** Installs the wrappers of every known copy again (enable() after disable()). */
  installAll(): void {
    for (const wraps of this.wraps.values()) for (const [wrap, factory] of wraps) wrap.install(factory);
  }

  removeAll(): void {
    for (const wraps of this.wraps.values()) for (const [wrap] of wraps) wrap.remove();
  }

  private patch(prototype: Record<string, unknown> | undefined, methods: ReadonlyArray<readonly [string, WrapperFactory]>): void {
    if (!prototype || !methods.every(([name]) => typeof prototype[name] === 'function')) return;
    let wraps = this.wraps.get(prototype);
    if (!wraps) {
      wraps = methods.map(([name, factory]) => [new MethodWrap(prototype, name), factory] as const);
      this.wraps.set(prototype, wraps);
    }
    for (const [wrap, factory] of wraps) wrap.install(factory);
  }

  private unpatch(prototype: Record<string, unknown> | undefined): void {
    for (const [wrap] of (prototype && this.wraps.get(prototype)) ?? []) wrap.remove();
  }
}


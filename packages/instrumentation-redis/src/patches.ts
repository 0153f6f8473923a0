/*
 * The module patches. For `@redis/client` 5.12 and later (the client of
 * `redis` 5.12+ and 6) a thin wrapper of `RedisClient.prototype.connect` names
 * the connecting client (see current-client.ts); counting comes from the
 * channels, whatever the load order. Earlier versions (`redis` 4, which uses
 * `@redis/client` 1, and 5.0 to 5.11) publish no channels: their socket and
 * command queue classes are replaced by counting subclasses (see
 * legacy-patches.ts), which need the instrumentation enabled before `redis`
 * is loaded.
 *
 * InstrumentationBase remembers only the last copy it patched, so this class
 * keeps every patched module itself: disable() removes the patches of all of
 * them and enable() installs them all again.
 */
import type { DiagLogger } from '@opentelemetry/api';
import { InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } from '@opentelemetry/instrumentation';
import { MethodWrap } from '@connmetrics/core';
import { namingClient } from './current-client';
import type { LegacyHooks } from './legacy-patches';

export const MODULE_NAME = '@redis/client';
/** Versions with diagnostics channels: counted from them. */
export const CHANNEL_VERSIONS = ['>=5.12.0 <7'];
/** Versions without: counted by the legacy patches. */
export const LEGACY_VERSIONS = ['>=1.0.0 <5.12.0'];
/** The file whose default export is `RedisClient` (5.12 exports only `createClient` from the main module). */
const CLIENT_FILE = '@redis/client/dist/lib/client/index.js';
const SOCKET_FILE = '@redis/client/dist/lib/client/socket.js';
const QUEUE_FILE = '@redis/client/dist/lib/client/commands-queue.js';

type Exports = { default?: unknown };

/** A module's `default` export replaced by a subclass, restorable. */
class DefaultReplacement {
  constructor(
    private readonly exports: Exports,
    private readonly original: unknown,
    private readonly replacement: unknown,
  ) {}

  install(): void {
    this.exports.default = this.replacement;
  }

  remove(): void {
    if (this.exports.default === this.replacement) this.exports.default = this.original;
  }
}

export class RedisPatches {
  private readonly wraps = new Map<Record<string, unknown>, MethodWrap>();
  private readonly replacements = new Map<Exports, DefaultReplacement>();
  /** Whether a copy of @redis/client was patched (names and reconnect phases available). */
  patched = false;

  constructor(
    private readonly diag: DiagLogger,
    private readonly legacy: LegacyHooks,
  ) {}

  definitions(): InstrumentationNodeModuleDefinition[] {
    const naming = (versions: string[]) => new InstrumentationNodeModuleFile(CLIENT_FILE, versions, (exports: Exports) => this.nameClients(exports), () => this.removeAll());
    const replacing = (file: string, subclass: (original: new (...args: any[]) => any) => unknown) =>
      new InstrumentationNodeModuleFile(file, LEGACY_VERSIONS, (exports: Exports) => this.replaceDefault(exports, subclass), () => this.removeAll());
    return [
      new InstrumentationNodeModuleDefinition(MODULE_NAME, CHANNEL_VERSIONS, undefined, undefined, [naming(CHANNEL_VERSIONS)]),
      new InstrumentationNodeModuleDefinition(MODULE_NAME, LEGACY_VERSIONS, undefined, undefined, [
        naming(LEGACY_VERSIONS),
        replacing(SOCKET_FILE, (original) => this.legacy.socketClass(original)),
        replacing(QUEUE_FILE, (original) => this.legacy.queueClass(original)),
      ]),
    ];
  }

  private nameClients(exports: Exports): Exports {
    const prototype = (exports?.default as { prototype?: Record<string, unknown> } | undefined)?.prototype;
    if (!prototype || typeof prototype.connect !== 'function') {
      this.diag.debug('connmetrics: @redis/client has no RedisClient.prototype to patch');
      return exports;
    }
    let wrap = this.wraps.get(prototype);
    if (!wrap) this.wraps.set(prototype, (wrap = new MethodWrap(prototype, 'connect')));
    wrap.install(namingClient);
    this.patched = true;
    return exports;
  }

  private replaceDefault(exports: Exports, subclass: (original: new (...args: any[]) => any) => unknown): Exports {
    const original = exports?.default;
    if (typeof original !== 'function') {
      this.diag.debug('connmetrics: @redis/client module without the expected default export; not counted');
      return exports;
    }
    let replacement = this.replacements.get(exports);
    if (!replacement) this.replacements.set(exports, (replacement = new DefaultReplacement(exports, original, subclass(original as new (...args: any[]) => any))));
    replacement.install();
    return exports;
  }

  /** Installs the patches of every known copy again (enable() after disable()). */
  installAll(): void {
    for (const wrap of this.wraps.values()) wrap.install(namingClient);
    for (const replacement of this.replacements.values()) replacement.install();
  }

  removeAll(): void {
    for (const wrap of this.wraps.values()) wrap.remove();
    for (const replacement of this.replacements.values()) replacement.remove();
  }
}

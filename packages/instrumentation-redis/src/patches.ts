/*
 * The module patches. For `@redis/client` 5.12 and later (the client of
 * `redis` 5.12+ and 6) a thin wrapper of `RedisClient.prototype.connect` names
 * the connecting client (see current-client.ts); counting comes from the
 * channels, whatever the load order. Earlier versions (`redis` 4, which uses
 * `@redis/client` 1, and 5.0 to 5.11) publish no channels and are reported
 * once through diag.warn instead of being counted.
 *
 * InstrumentationBase remembers only the last copy it patched, so this class
 * keeps every patched prototype itself: disable() removes the wrappers of all
 * of them and enable() installs them all again.
 */
import * as diagnosticsChannel from 'node:diagnostics_channel';
import type { DiagLogger } from '@opentelemetry/api';
import { InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } from '@opentelemetry/instrumentation';
import { MethodWrap } from '@connmetrics/core';
import { namingClient } from './current-client';

export const MODULE_NAME = '@redis/client';
export const COUNTED_VERSIONS = ['>=5.12.0 <7'];
export const UNCOUNTED_VERSIONS = ['>=1.0.0 <5.12.0'];
/** The file whose default export is `RedisClient` (5.12 exports only `createClient` from the main module). */
export const CLIENT_FILE = '@redis/client/dist/lib/client/index.js';

/** `RedisClient.prototype` from the client file's exports. */
function clientPrototype(moduleExports: unknown): Record<string, unknown> | undefined {
  const RedisClient = (moduleExports as { default?: unknown } | undefined)?.default as { prototype?: Record<string, unknown> } | undefined;
  const prototype = RedisClient?.prototype;
  return prototype && typeof prototype.connect === 'function' ? prototype : undefined;
}

export class RedisPatches {
  private readonly wraps = new Map<Record<string, unknown>, MethodWrap>();
  private warnedUncounted = false;
  /** Whether a copy of @redis/client with channels was patched (names and reconnect phases available). */
  patched = false;

  constructor(private readonly diag: DiagLogger) {}

  definitions(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(MODULE_NAME, COUNTED_VERSIONS, undefined, undefined, [
        new InstrumentationNodeModuleFile(
          CLIENT_FILE,
          COUNTED_VERSIONS,
          (moduleExports) => {
            const prototype = clientPrototype(moduleExports);
            if (!prototype) {
              this.diag.debug('connmetrics: @redis/client has no RedisClient.prototype to patch');
              return moduleExports;
            }
            let wrap = this.wraps.get(prototype);
            if (!wrap) this.wraps.set(prototype, (wrap = new MethodWrap(prototype, 'connect')));
            wrap.install(namingClient);
            this.patched = true;
            return moduleExports;
          },
          () => this.removeAll(),
        ),
      ]),
      new InstrumentationNodeModuleDefinition(MODULE_NAME, UNCOUNTED_VERSIONS, (moduleExports, version) => {
        this.warnUncounted(version);
        return moduleExports;
      }),
    ];
  }

  private warnUncounted(version: string | undefined): void {
    if (this.warnedUncounted) return;
    this.warnedUncounted = true;
    const channels = typeof diagnosticsChannel.tracingChannel === 'function' ? '' : ' (and this Node.js has no tracingChannel)';
    this.diag.warn(
      `connmetrics: @redis/client ${version ?? '(unknown version)'} publishes no node-redis diagnostics channels${channels}; ` +
        'its connections are not counted. Upgrade to redis 5.12 or later (@redis/client >= 5.12).',
    );
  }

  /** Installs the wrappers of every known copy again (enable() after disable()). */
  installAll(): void {
    for (const wrap of this.wraps.values()) wrap.install(namingClient);
  }

  removeAll(): void {
    for (const wrap of this.wraps.values()) wrap.remove();
  }
}

/*
 * The module patch: `Redis.prototype.connect` and `sendCommand` of every copy
 * of ioredis 5 and 6 loaded after the instrumentation is enabled.
 *
 * With tracing channels (ioredis 5.11 and later) the wrappers only name the
 * calling client (see current-client.ts) and the channels count; without
 * them the legacy wrappers count. One copy is never counted both ways.
 *
 * InstrumentationBase remembers only the last copy it patched, so this class
 * keeps every patched prototype itself: disable() removes the wrappers of all
 * of them and enable() installs them all again.
 */
import * as diagnosticsChannel from 'node:diagnostics_channel';
import { InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { namingClient } from './current-client';
import { legacyConnect, legacySendCommand, type LegacyHooks } from './legacy-patches';
import { MethodWrap, moduleExports as unwrapModule } from '@connmetrics/core';

export const MODULE_NAME = 'ioredis';
export const SUPPORTED_VERSIONS = ['>=5.0.0 <7'];

/** Whether a version of ioredis publishes the `ioredis:connect` and `ioredis:command` tracing channels. */
export function publishesTracingChannels(version: string | undefined): boolean {
  if (typeof diagnosticsChannel.tracingChannel !== 'function') return false;
  const match = /^(\d+)\.(\d+)\./.exec(version ?? '');
  if (!match) return false;
  const major = Number(match[1]);
  return major > 5 || (major === 5 && Number(match[2]) >= 11);
}

/** `Redis.prototype` from the module's exports (CommonJS, or the ESM namespace). */
function redisPrototype(moduleExports: unknown): Record<string, unknown> | undefined {
  const Redis = unwrapModule<{ prototype?: Record<string, unknown> } | undefined>(moduleExports);
  const prototype = Redis?.prototype;
  if (prototype && typeof prototype.connect === 'function' && typeof prototype.sendCommand === 'function') return prototype;
  return undefined;
}

/** The two wrapped methods of one copy of ioredis. */
class PatchedCopy {
  private readonly connect: MethodWrap;
  private readonly sendCommand: MethodWrap;

  constructor(
    prototype: Record<string, unknown>,
    private readonly hasChannels: boolean,
  ) {
    this.connect = new MethodWrap(prototype, 'connect');
    this.sendCommand = new MethodWrap(prototype, 'sendCommand');
  }

  install(legacy: LegacyHooks): void {
    if (this.hasChannels) {
      this.connect.install(namingClient);
      this.sendCommand.install(namingClient);
    } else {
      this.connect.install((original, active) => legacyConnect(original, active, legacy));
      this.sendCommand.install((original, active) => legacySendCommand(original, active, legacy));
    }
  }

  remove(): void {
    this.connect.remove();
    this.sendCommand.remove();
  }
}

export class RedisPatches {
  private readonly copies = new Map<Record<string, unknown>, PatchedCopy>();

  constructor(private readonly legacy: LegacyHooks) {}

  definition(): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition(
      MODULE_NAME,
      SUPPORTED_VERSIONS,
      (moduleExports, version) => {
        const prototype = redisPrototype(moduleExports);
        if (!prototype) {
          this.legacy.diag.debug('connmetrics: ioredis exports have no Redis.prototype to patch');
          return moduleExports;
        }
        let copy = this.copies.get(prototype);
        if (!copy) {
          copy = new PatchedCopy(prototype, publishesTracingChannels(version));
          this.copies.set(prototype, copy);
        }
        copy.install(this.legacy);
        return moduleExports;
      },
      () => this.removeAll(),
    );
  }

  /** Installs the wrappers of every known copy again (enable() after disable()). */
  installAll(): void {
    for (const copy of this.copies.values()) copy.install(this.legacy);
  }

  removeAll(): void {
    for (const copy of this.copies.values()) copy.remove();
  }
}

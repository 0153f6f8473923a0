import type { Attributes } from '@opentelemetry/api';
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import {
  ATTR_DB_CLIENT_CONNECTION_STATE,
  ConnectionInstrumentationBase,
  DB_CLIENT_CONNECTION_STATE_IDLE,
  DB_CLIENT_CONNECTION_STATE_USED,
  OpenConnectionsObserver,
  createDbConnectionInstruments,
  guard,
  loadedModuleFiles,
  versionInRange,
  type ChannelHandlers,
  type DbConnectionInstruments,
} from '@connmetrics/core';
import { databaseAttributes, redisTarget } from './attributes';
import { RedisConnectionCounter } from './connection-counter';
import { DATA_HANDLER_FILE, REDIS_FILE, RedisPatches, type RedisHooks } from './patches';
import type { RedisClient, RedisSocket } from './redis-shapes';
import type { IORedisConnectionInstrumentationConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/**
 * Connection metrics for ioredis 5 and 6 (`Redis` and `Cluster`): a
 * connection is created when it reaches `ready` (after TCP, TLS, the
 * AUTH/HELLO/SELECT/CLIENT handshake and the ready check), a use is a command
 * of the application, and each connection of a client or cluster node is
 * reported as used or idle. One hook path for every version (see patches.ts).
 */
export class IORedisConnectionInstrumentation extends ConnectionInstrumentationBase<IORedisConnectionInstrumentationConfig> {
  protected readonly protocolName = 'redis';
  declare private _dbInstruments: DbConnectionInstruments;
  declare private _counter: RedisConnectionCounter | undefined;
  declare private _connectionCount: OpenConnectionsObserver | undefined;
  declare private _patches: RedisPatches | undefined;
  declare private _warnedUnpatchable: boolean | undefined;

  constructor(config: IORedisConnectionInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  // Created lazily: the base constructor enables the instrumentation before
  // the fields of this class could be initialised.
  private get counter(): RedisConnectionCounter {
    const self = this;
    return (this._counter ??= new RedisConnectionCounter({
      get connectionInstruments() {
        return self._connectionInstruments;
      },
      get dbInstruments() {
        return self._dbInstruments;
      },
      diag: this._diag,
      attributesOf: (client, socket) => this.attributesOf(client, socket),
      claimSocket: (socket, attributes) => {
        this.claimSocket(socket, attributes);
      },
    }));
  }

  private get patches(): RedisPatches {
    return (this._patches ??= new RedisPatches(this.hooks()));
  }

  private get connectionCount(): OpenConnectionsObserver {
    return (this._connectionCount ??= new OpenConnectionsObserver(
      ATTR_DB_CLIENT_CONNECTION_STATE,
      DB_CLIENT_CONNECTION_STATE_USED,
      DB_CLIENT_CONNECTION_STATE_IDLE,
      (state) => state.attributes,
    ));
  }

  /** The patches' hooks, each guarded (the wrappers call them only while enabled). */
  private hooks(): RedisHooks {
    const counter = () => this.counter;
    return {
      connecting: guard(this._diag, 'ioredis connect', (client) => counter().connecting(client)),
      commandSent: guard(this._diag, 'ioredis sendCommand', (client, command) => counter().commandSent(client, command)),
      replied: guard(this._diag, 'ioredis reply', (handler, item, reply) => counter().replied(handler, item, reply)),
    };
  }

  protected override init(): InstrumentationModuleDefinition[] {
    return [this.patches.definition()];
  }

  override enable(): void {
    super.enable();
    // InstrumentationBase re-patches only the last copy of ioredis it saw.
    this._patches?.installAll();
    this.patchLoadedCopies();
  }

  /** Copies of ioredis required before this instrumentation existed: patched now, as their prototypes are shared. */
  private patchLoadedCopies(): void {
    this.guarded('ioredis loaded before the instrumentation', () => {
      for (const file of [REDIS_FILE, DATA_HANDLER_FILE] as const) {
        for (const copy of loadedModuleFiles(file)) {
          if (versionInRange(copy.version, '5.0.0', '7.0.0') && this.patches.patchLoaded(file, copy.exports)) continue;
          if (this._warnedUnpatchable) continue;
          this._warnedUnpatchable = true;
          this._diag.warn(
            `ioredis ${copy.version ?? '(unknown version)'} was loaded before this instrumentation and cannot be patched: its connections are not counted. ` +
              'Use ioredis >=5.0 <7.',
          );
        }
      }
    });
  }

  protected override onDisabled(): void {
    this._counter?.clear();
    this._patches?.removeAll();
  }

  protected override _updateMetricInstruments(): void {
    super._updateMetricInstruments();
    this._dbInstruments = createDbConnectionInstruments(this.meter);
    const count = this._dbInstruments.count;
    this.meter.addBatchObservableCallback((result) => {
      this.guarded('observe ioredis connections', () => this.connectionCount.observe(result, count, this.counter.open()));
    }, [count]);
  }

  /** ioredis's tracing channels are not used (see patches.ts). */
  protected channelHandlers(): ChannelHandlers {
    return {};
  }

  private attributesOf(client: RedisClient, socket: RedisSocket | undefined): Attributes {
    const target = redisTarget(client.options);
    return this.connectionAttributes(target.address, target.port, databaseAttributes(target), socket?.remoteAddress);
  }
}

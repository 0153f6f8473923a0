import type { Attributes } from '@opentelemetry/api';
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import {
  ATTR_DB_CLIENT_CONNECTION_STATE,
  ConnectionInstrumentationBase,
  DB_CLIENT_CONNECTION_STATE_IDLE,
  DB_CLIENT_CONNECTION_STATE_USED,
  OpenConnectionsObserver,
  createDbConnectionInstruments,
  type ChannelHandlers,
  type DbConnectionInstruments,
} from '@connmetrics/core';
import { databaseAttributes, redisTarget } from './attributes';
import {
  BATCH_MULTI,
  CLOSED_BY_APPLICATION,
  NodeRedisChannel,
  type BatchContext,
  type CommandContext,
  type ConnectContext,
  type ConnectionClosedMessage,
  type ConnectionReadyMessage,
  type ErrorMessage,
  type PoolConnectionWaitMessage,
} from './channels';
import { isHousekeeping } from './command-kind';
import { RedisConnectionCounter } from './connection-counter';
import { currentClient } from './current-client';
import { LegacyHooks } from './legacy-patches';
import { RedisPatches } from './patches';
import { ReconnectWatch } from './reconnect-watch';
import type { RedisClient } from './redis-shapes';
import type { RedisConnectionInstrumentationConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** MULTI and EXEC around the commands of a transaction. */
const MULTI_EXEC = 2;

/**
 * Connection metrics for node-redis (`redis` / `@redis/client` 4, 5 and 6):
 * standalone clients, pools, clusters and sentinels. A connection is
 * created when it is ready (after TCP, TLS, HELLO/AUTH, SETNAME, SELECT and
 * CLIENT SETINFO), a use is a command of the application, and each
 * connection of a client, pool member or cluster node is reported as used or
 * idle. 5.12 and later are counted from node-redis's diagnostics channels; a
 * thin patch of `RedisClient#connect()` adds the client's `name` and the
 * socket phases of reconnects where it could apply. Earlier versions are
 * counted by the legacy patches (legacy-patches.ts), into the same counter.
 */
export class RedisConnectionInstrumentation extends ConnectionInstrumentationBase<RedisConnectionInstrumentationConfig> {
  protected readonly protocolName = 'redis';
  declare private _dbInstruments: DbConnectionInstruments;
  declare private _counter: RedisConnectionCounter | undefined;
  declare private _connectionCount: OpenConnectionsObserver | undefined;
  declare private _patches: RedisPatches | undefined;
  declare private _legacy: LegacyHooks | undefined;
  declare private _reconnectWatch: ReconnectWatch | undefined;
  declare private _warnedUnpatched: boolean | undefined;

  constructor(config: RedisConnectionInstrumentationConfig = {}) {
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
      recordConnectionTimes: () => this._config.recordConnectionTimes !== false,
      attributesOf: (clientId, address, port, client) => this.attributesOf(clientId, address, port, client),
    }));
  }

  private get patches(): RedisPatches {
    return (this._patches ??= new RedisPatches(this._diag, this.legacy));
  }

  private get legacy(): LegacyHooks {
    return (this._legacy ??= new LegacyHooks({
      counter: () => this.counter,
      diag: this._diag,
      active: () => this._enabled,
      claimNextSocket: (attributes) => this.claimNextSocket(attributes),
    }));
  }

  private get reconnectWatch(): ReconnectWatch {
    return (this._reconnectWatch ??= new ReconnectWatch((clientId) => {
      const attributes = this.counter.attributesOfClient(clientId);
      if (attributes) this.claimNextSocket(attributes);
    }, this._diag));
  }

  private get connectionCount(): OpenConnectionsObserver {
    return (this._connectionCount ??= new OpenConnectionsObserver(
      ATTR_DB_CLIENT_CONNECTION_STATE,
      DB_CLIENT_CONNECTION_STATE_USED,
      DB_CLIENT_CONNECTION_STATE_IDLE,
      (state) => state.attributes,
    ));
  }

  protected override init(): InstrumentationModuleDefinition[] {
    return this.patches.definitions();
  }

  override enable(): void {
    super.enable();
    // InstrumentationBase re-patches only the last copy of @redis/client it saw.
    this._patches?.installAll();
  }

  protected override onDisabled(): void {
    this._counter?.clear();
    this._reconnectWatch?.stopAll();
    this._legacy?.stopAll();
  }

  protected override _updateMetricInstruments(): void {
    super._updateMetricInstruments();
    this._dbInstruments = createDbConnectionInstruments(this.meter);
    const count = this._dbInstruments.count;
    this.meter.addBatchObservableCallback((result) => {
      this.guarded('observe node-redis connections', () => this.connectionCount.observe(result, count, this.counter.open()));
    }, [count]);
  }

  protected channelHandlers(): ChannelHandlers {
    return {
      [NodeRedisChannel.ConnectStart]: (context: ConnectContext) => {
        const { clientId } = context;
        if (typeof clientId !== 'string') return;
        const client = connectingClient(clientId);
        if (!client) this.warnUnpatched();
        const attributes = this.counter.connectStarted(clientId, context.serverAddress, context.serverPort, client);
        if (!attributes) return;
        // node-redis creates the first socket in this synchronous run.
        this.claimNextSocket(attributes);
        if (client) this.reconnectWatch.watch(clientId, client);
      },
      [NodeRedisChannel.ConnectError]: (context: ConnectContext & { error?: unknown }) => {
        if (typeof context.clientId === 'string') this.counter.connectFailed(context.clientId, context.error, context);
      },
      [NodeRedisChannel.ConnectionReady]: (message: ConnectionReadyMessage) => {
        if (typeof message.clientId === 'string') this.counter.ready(message.clientId, message.serverAddress, message.serverPort, message.createTimeMs, message);
      },
      [NodeRedisChannel.ConnectionClosed]: (message: ConnectionClosedMessage) => {
        if (typeof message.clientId !== 'string') return;
        const byApplication = message.reason === CLOSED_BY_APPLICATION;
        this.counter.closed(message.clientId, byApplication);
        if (byApplication) this._reconnectWatch?.stop(message.clientId);
      },
      [NodeRedisChannel.Error]: (message: ErrorMessage) => {
        if (typeof message.clientId === 'string') this.counter.error(message.clientId, message.error, message);
      },
      [NodeRedisChannel.CommandStart]: (context: CommandContext) => {
        if (typeof context.clientId !== 'string' || isHousekeeping(context.command, context.args)) return;
        this.counter.commandStarted(context.clientId, context, 1);
      },
      [NodeRedisChannel.CommandAsyncEnd]: (context: CommandContext & ConnectContext) => {
        if (typeof context.clientId !== 'string' || isHousekeeping(context.command, context.args)) return;
        this.counter.commandEnded(context.clientId, context, 'error' in context, context.error, context.serverAddress, context.serverPort);
      },
      // A pipeline's commands are published one by one on `command`; a MULTI's are not.
      [NodeRedisChannel.BatchStart]: (context: BatchContext) => {
        if (typeof context.clientId !== 'string' || context.batchMode !== BATCH_MULTI) return;
        this.counter.commandStarted(context.clientId, context, (Number(context.batchSize) || 0) + MULTI_EXEC);
      },
      [NodeRedisChannel.BatchAsyncEnd]: (context: BatchContext & ConnectContext) => {
        if (typeof context.clientId !== 'string' || context.batchMode !== BATCH_MULTI) return;
        this.counter.commandEnded(context.clientId, context, 'error' in context, context.error, context.serverAddress, context.serverPort);
      },
      [NodeRedisChannel.PoolConnectionWait]: (message: PoolConnectionWaitMessage) => {
        if (typeof message.clientId === 'string') this.counter.poolWait(message.clientId, message.waitStartTimestamp, message);
      },
    };
  }

  /** Once: node-redis was loaded before the patch could name its clients. */
  private warnUnpatched(): void {
    if (this._warnedUnpatched || this.patches.patched) return;
    this._warnedUnpatched = true;
    this._diag.warn(
      'connmetrics: redis (@redis/client) was loaded before RedisConnectionInstrumentation was enabled: connections are counted, ' +
        'but pool names fall back to host:port/db and reconnects are not timed. Register connmetrics before requiring redis ' +
        '(node --require @connmetrics/auto/register, or --import for ESM).',
    );
  }

  private attributesOf(clientId: string, address: unknown, port: unknown, client: RedisClient | undefined): Attributes {
    const target = redisTarget(address, port, clientId, client);
    return this.connectionAttributes(target.address, target.port, databaseAttributes(target));
  }
}

/** The client whose connect() is publishing, when the naming patch applied and it is the client the message names. */
function connectingClient(clientId: string): RedisClient | undefined {
  const client = currentClient();
  return client && client._clientId === clientId ? client : undefined;
}

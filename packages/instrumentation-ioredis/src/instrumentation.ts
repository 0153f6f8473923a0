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
import { DEFAULT_HOST, DEFAULT_PORT, databaseAttributes, redisTarget } from './attributes';
import { IORedisChannel, type CommandContext, type ConnectContext } from './channels';
import { RedisConnectionCounter } from './connection-counter';
import { currentClient } from './current-client';
import { LegacyConnectWatch } from './legacy-patches';
import { RedisPatches } from './patches';
import type { RedisClient, RedisSocket } from './redis-shapes';
import type { IORedisConnectionInstrumentationConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/**
 * Connection metrics for ioredis 5 and 6 (`Redis` and `Cluster`): a
 * connection is created when it reaches `ready` (after TCP, TLS, the
 * AUTH/HELLO/SELECT/CLIENT handshake and the ready check), a use is a command
 * of the application, and each connection of a client or cluster node is
 * reported as used or idle.
 *
 * ioredis 5.11 and later publish the `ioredis:connect` and `ioredis:command`
 * tracing channels, which this class counts from; their messages do not name
 * the client, which a thin patch of `Redis#connect()` and `Redis#sendCommand()`
 * supplies. Earlier versions are counted by the patch alone.
 */
export class IORedisConnectionInstrumentation extends ConnectionInstrumentationBase<IORedisConnectionInstrumentationConfig> {
  protected readonly protocolName = 'redis';
  declare private _dbInstruments: DbConnectionInstruments;
  declare private _counter: RedisConnectionCounter | undefined;
  declare private _connectionCount: OpenConnectionsObserver | undefined;
  declare private _legacyConnectWatch: LegacyConnectWatch | undefined;
  declare private _patches: RedisPatches | undefined;

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

  private get legacyConnectWatch(): LegacyConnectWatch {
    return (this._legacyConnectWatch ??= new LegacyConnectWatch(() => this.counter, this._diag));
  }

  private get patches(): RedisPatches {
    return (this._patches ??= new RedisPatches({
      events: () => this.counter,
      connectWatch: this.legacyConnectWatch,
      diag: this._diag,
      reported: new WeakSet(),
    }));
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
    return [this.patches.definition()];
  }

  override enable(): void {
    super.enable();
    // InstrumentationBase re-patches only the last copy of ioredis it saw.
    this._patches?.installAll();
  }

  protected override onDisabled(): void {
    this._counter?.clear();
    this._legacyConnectWatch?.stopAll();
  }

  protected override _updateMetricInstruments(): void {
    super._updateMetricInstruments();
    this._dbInstruments = createDbConnectionInstruments(this.meter);
    const count = this._dbInstruments.count;
    this.meter.addBatchObservableCallback((result) => {
      this.guarded('observe ioredis connections', () => this.connectionCount.observe(result, count, this.counter.open()));
    }, [count]);
  }

  protected channelHandlers(): ChannelHandlers {
    return {
      [IORedisChannel.ConnectStart]: (context: ConnectContext) => {
        const client = publishingClient(context);
        if (client) this.counter.connectStarted(client, context);
      },
      [IORedisChannel.ConnectAsyncEnd]: (context: ConnectContext) => {
        if ('error' in context) this.counter.connectFailed(context, context.error);
        else this.counter.connectSucceeded(context);
      },
      [IORedisChannel.CommandStart]: (context: CommandContext) => {
        const client = publishingClient(context);
        if (client) this.counter.commandStarted(client, context, context.command, context.args?.[0]);
      },
      [IORedisChannel.CommandAsyncEnd]: (context: CommandContext) => {
        this.counter.commandEnded(context, 'error' in context, context.error);
      },
    };
  }

  private attributesOf(client: RedisClient, socket: RedisSocket | undefined): Attributes {
    const target = redisTarget(client.options);
    return this.connectionAttributes(target.address, target.port, databaseAttributes(target), socket?.remoteAddress);
  }
}

/**
 * The client a channel message is about: the one whose connect() or
 * sendCommand() is running, provided it is the client the message names (a
 * copy of ioredis loaded before the instrumentation is not patched, and its
 * messages are not counted).
 */
function publishingClient(context: ConnectContext | CommandContext): RedisClient | undefined {
  const client = currentClient();
  const options = client?.options;
  if (!options) return undefined;
  if (options.path) return context.serverAddress === options.path ? client : undefined;
  const sameHost = context.serverAddress === (options.host || DEFAULT_HOST);
  const samePort = Number(context.serverPort) === Number(options.port || DEFAULT_PORT);
  return sameHost && samePort ? client : undefined;
}

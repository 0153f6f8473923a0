import type { Attributes } from '@opentelemetry/api';
import {
  HttpClientInstrumentationBase,
  defaultPortOf,
  markConnectionOwner,
  serverAddress,
  serverPort,
  type ChannelHandlers,
  type ConnectionState,
} from '@connmetrics/core';
import { UndiciChannel, type ConnectMessage, type ConnectParams, type RequestErrorMessage, type RequestMessage } from './channels';
import { UndiciConnections, type ConnectionHost } from './connections';
import type { UndiciConnectionInstrumentationConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

const EMPTY: ReadonlySet<never> = new Set();

/**
 * Connection metrics for undici (npm undici 6, 7 and 8: `request`, `fetch`,
 * `Client`, `Pool`, `Agent`, `ProxyAgent`) and Node's global `fetch`, read from
 * undici's diagnostics channels. The channels are process-wide by name, so one
 * subscription sees every copy of undici in the process exactly once.
 */
export class UndiciConnectionInstrumentation extends HttpClientInstrumentationBase<UndiciConnectionInstrumentationConfig> {
  protected readonly protocolName = 'http';
  /** Per-process bookkeeping while enabled; dropped as a whole by disable(). */
  declare private _connections: UndiciConnections | undefined;

  constructor(config: UndiciConnectionInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  private get connections(): UndiciConnections {
    return (this._connections ??= new UndiciConnections(this.host()));
  }

  /** What the bookkeeping reads from this instrumentation, read at each use (a new MeterProvider takes effect). */
  private host(): ConnectionHost {
    const self = this;
    return {
      get diag() {
        return self._diag;
      },
      get connectionInstruments() {
        return self._connectionInstruments;
      },
      get httpInstruments() {
        return self._httpInstruments;
      },
      get recordPeerAddress() {
        return self._config.recordPeerAddress === true;
      },
      attributes: (params: ConnectParams, extra?: Attributes, peerAddress?: string): Attributes =>
        this.connectionAttributes(
          serverAddress(params.hostname ?? params.host),
          serverPort(params.port, defaultPortOf(params.protocol)),
          extra,
          peerAddress,
        ),
      claimSocket: (socket: object, attributes: Attributes) => void this.claimSocket(socket, attributes),
      claimNextSocket: (attributes: Attributes) => this.claimNextSocket(attributes),
      own: (socket: object) => markConnectionOwner(socket, PACKAGE_NAME),
      claim: (subject: object) => this.claim(subject),
    };
  }

  protected openConnectionStates(): Iterable<ConnectionState> {
    return this._connections?.tracker.open() ?? EMPTY;
  }

  protected channelHandlers(): ChannelHandlers {
    return {
      [UndiciChannel.BeforeConnect]: (message: ConnectMessage) => this.connections.beforeConnect(message),
      [UndiciChannel.Connected]: (message: ConnectMessage) => this.connections.connected(message),
      [UndiciChannel.ConnectError]: (message: ConnectMessage) => this.connections.connectFailed(message),
      [UndiciChannel.RequestCreate]: (message: RequestMessage) => this.connections.requestCreated(message.request),
      [UndiciChannel.SendHeaders]: (message: RequestMessage) => this.connections.headersSent(message),
      [UndiciChannel.RequestTrailers]: (message: RequestMessage) => this.connections.requestEnded(message.request),
      [UndiciChannel.RequestError]: (message: RequestErrorMessage) => this.connections.requestFailed(message),
    };
  }

  protected override onDisabled(): void {
    const connections = this._connections;
    this._connections = undefined;
    connections?.detach();
  }
}

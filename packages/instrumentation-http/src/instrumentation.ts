import type { Attributes } from '@opentelemetry/api';
import { HttpClientInstrumentationBase, type ChannelHandlers, type ConnectionState } from '@connmetrics/core';
import { HttpChannel, type ClientSocketMessage, type RequestErrorMessage, type RequestMessage } from './channels';
import { HttpConnections, type ConnectionHost } from './connections';
import type { ClientRequestLike } from './http-shapes';
import type { HttpConnectionInstrumentationConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

const EMPTY: ReadonlySet<never> = new Set();

/**
 * Connection metrics for node:http and node:https clients: every `http.Agent`
 * (the global agents, custom agents, keep-alive or not) and every library
 * built on them (axios, got, node-fetch, superagent, cloud SDKs). Reads Node's
 * HTTP client diagnostics channels; nothing is patched. A socket is the
 * connection's identity: its first request is the created connection's own,
 * each later one a reuse, whatever `request.reusedSocket` says.
 */
export class HttpConnectionInstrumentation extends HttpClientInstrumentationBase<HttpConnectionInstrumentationConfig> {
  protected readonly protocolName = 'http';
  /** Per-process bookkeeping while enabled; dropped as a whole by disable(). */
  declare private _connections: HttpConnections | undefined;

  constructor(config: HttpConnectionInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  private get connections(): HttpConnections {
    return (this._connections ??= new HttpConnections(this.host()));
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
      attributes: (address: string | undefined, port: number | undefined): Attributes => this.connectionAttributes(address, port),
      claimSocket: (socket: object, attributes: Attributes): boolean => this.claimSocket(socket, attributes),
      claim: (subject: object): boolean => this.claim(subject),
      release: (subject: object): void => this.releaseClaim(subject),
    };
  }

  protected openConnectionStates(): Iterable<ConnectionState> {
    return this._connections?.tracker.open() ?? EMPTY;
  }

  protected channelHandlers(): ChannelHandlers {
    return {
      [HttpChannel.ClientSocket]: ({ socket }: ClientSocketMessage) => this.connections.socketBorn(socket),
      [HttpChannel.RequestCreated]: ({ request }: RequestMessage) => this.connections.requestCreated(request as ClientRequestLike),
      [HttpChannel.RequestStart]: ({ request }: RequestMessage) => this.connections.requestStarted(request as ClientRequestLike),
      [HttpChannel.RequestError]: ({ request, error }: RequestErrorMessage) =>
        this.connections.requestFailed(request as ClientRequestLike, error),
    };
  }

  protected override onDisabled(): void {
    const connections = this._connections;
    this._connections = undefined;
    connections?.detach();
  }
}

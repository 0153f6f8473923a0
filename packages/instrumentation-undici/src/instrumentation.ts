import { performance } from 'node:perf_hooks';
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ConnectionTracker,
  HttpClientInstrumentationBase,
  defaultPortOf,
  markConnectionOwner,
  errorType,
  serverAddress,
  serverPort,
  type ChannelHandlers,
  type ConnectionState,
} from '@connmetrics/core';
import { UndiciChannel, type ConnectMessage, type ConnectParams, type RequestMessage } from './channels';
import type { UndiciConnectionInstrumentationConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

interface SocketLike {
  alpnProtocol?: string | false | null;
  remoteAddress?: string;
  once(event: 'close', listener: () => void): unknown;
  removeListener(event: 'close', listener: () => void): unknown;
}

/** What disable() needs to detach from an open connection. */
interface CloseWatch {
  readonly socket: SocketLike;
  readonly listener: () => void;
}

/**
 * Connection metrics for undici (npm undici 6 and 7: `request`, `fetch`,
 * `Client`, `Pool`, `Agent`) and Node's global `fetch`, read from undici's
 * diagnostics channels. The channels are process-wide by name, so one
 * subscription sees every copy of undici in the process exactly once.
 */
export class UndiciConnectionInstrumentation extends HttpClientInstrumentationBase<UndiciConnectionInstrumentationConfig> {
  protected readonly protocolName = 'http';
  declare private _tracker: ConnectionTracker | undefined;
  /** Request → when it was created, then → the socket that serves it. */
  declare private _requests: WeakMap<object, number | object> | undefined;

  constructor(config: UndiciConnectionInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  private get tracker(): ConnectionTracker {
    return (this._tracker ??= new ConnectionTracker(() => this._connectionInstruments, () => this._diag));
  }

  private get requests(): WeakMap<object, number | object> {
    return (this._requests ??= new WeakMap());
  }

  protected openConnectionStates(): Iterable<ConnectionState> {
    return this.tracker.open();
  }

  protected override onDisabled(): void {
    for (const state of this._tracker?.open() ?? []) {
      const watch = state.extra as CloseWatch | undefined;
      watch?.socket.removeListener('close', watch.listener);
    }
    this._tracker?.clear();
    this._requests = undefined;
  }

  /** Records the connection's lifetime when its socket closes; detached again by disable(). */
  private watchClose(socket: SocketLike): CloseWatch {
    const listener = () => this.guarded('socket close', () => this.onSocketClose(socket));
    socket.once('close', listener);
    return { socket, listener };
  }

  protected channelHandlers(): ChannelHandlers {
    return {
      [UndiciChannel.BeforeConnect]: (message: ConnectMessage) => this.onBeforeConnect(message),
      [UndiciChannel.Connected]: (message: ConnectMessage) => this.onConnected(message),
      [UndiciChannel.ConnectError]: (message: ConnectMessage) => this.onConnectError(message),
      [UndiciChannel.RequestCreate]: (message: RequestMessage) => this.onRequestCreate(message),
      [UndiciChannel.SendHeaders]: (message: RequestMessage) => this.onSendHeaders(message),
      [UndiciChannel.RequestTrailers]: (message: RequestMessage) => this.onRequestEnd(message),
      [UndiciChannel.RequestError]: (message: RequestMessage) => this.onRequestEnd(message),
    };
  }

  private serverAttributes(params: ConnectParams, extra?: Attributes, peerAddress?: string): Attributes {
    return this.connectionAttributes(
      serverAddress(params.hostname ?? params.host),
      serverPort(params.port, defaultPortOf(params.protocol)),
      extra,
      peerAddress,
    );
  }

  private onBeforeConnect({ connectParams }: ConnectMessage): void {
    // The connector creates its socket synchronously after this message; claim
    // it now so that a failed attempt still records its DNS, TCP and TLS phases.
    this.claimNextSocket(this.serverAttributes(connectParams));
  }

  private onConnected({ connectParams, socket }: ConnectMessage): void {
    if (!socket) return;
    const connection = socket as SocketLike;
    const version = connection.alpnProtocol === 'h2' ? '2' : '1.1';
    const attributes = this.serverAttributes(
      connectParams,
      { [ATTR_NETWORK_PROTOCOL_VERSION]: version },
      connection.remoteAddress,
    );
    markConnectionOwner(socket, PACKAGE_NAME); // undici's HTTP/2 sessions are not node:http2 clients' to count
    this.claimSocket(socket, this.serverAttributes(connectParams));
    const state = this.tracker.created(socket, attributes);
    state.extra ??= this.watchClose(connection);
  }

  private onSocketClose(socket: object): void {
    const { errored } = socket as { errored?: unknown };
    const state = this.tracker.closed(socket, errored ? errorType(errored) : undefined);
    if (!state) return;
    this._httpInstruments.connectionDuration.record((performance.now() - state.readyAt) / 1000, state.attributes);
  }

  private onConnectError({ connectParams, error }: ConnectMessage): void {
    this._connectionInstruments.failed.add(1, this.serverAttributes(connectParams, { [ATTR_ERROR_TYPE]: errorType(error) }));
  }

  private onRequestCreate({ request }: RequestMessage): void {
    this.requests.set(request, performance.now());
  }

  private onSendHeaders({ request, socket }: RequestMessage): void {
    if (!socket) return;
    const state = this.tracker.used(socket, () => this.adoptedAttributes(request, socket as SocketLike));
    state.extra ??= this.watchClose(socket as SocketLike);
    const createdAt = this.requests.get(request);
    this.requests.set(request, socket);
    if (typeof createdAt === 'number') {
      this._httpInstruments.timeInQueue.record((performance.now() - createdAt) / 1000, state.attributes);
    }
  }

  private onRequestEnd({ request }: RequestMessage): void {
    const socket = this.requests.get(request);
    if (socket === undefined) return;
    this.requests.delete(request);
    if (typeof socket === 'object') this.tracker.released(socket);
  }

  /** Attributes of a connection opened before this instrumentation was enabled. */
  private adoptedAttributes(request: object, socket: SocketLike): Attributes {
    const { origin } = request as { origin?: unknown };
    let url: URL | undefined;
    try {
      url = typeof origin === 'string' || origin instanceof URL ? new URL(String(origin)) : undefined;
    } catch {
      url = undefined;
    }
    return this.serverAttributes(
      { hostname: url?.hostname, port: url?.port, protocol: url?.protocol },
      { [ATTR_NETWORK_PROTOCOL_VERSION]: socket.alpnProtocol === 'h2' ? '2' : '1.1' },
      socket.remoteAddress,
    );
  }
}

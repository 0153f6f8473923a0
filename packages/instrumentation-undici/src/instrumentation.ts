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
  seconds,
  type ChannelHandlers,
  type ConnectionState,
  causeOf,
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

interface Attempt {
  readonly params: ConnectParams;
  readonly attributes: Attributes;
}

function sameServer(a: ConnectParams, b: ConnectParams): boolean {
  return a.hostname === b.hostname && a.host === b.host && a.port === b.port && a.protocol === b.protocol;
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
  /** Connector → its attempt in progress (see attemptAttributes). */
  declare private _attempts: WeakMap<object, Attempt> | undefined;

  constructor(config: UndiciConnectionInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  private get tracker(): ConnectionTracker {
    return (this._tracker ??= new ConnectionTracker(() => this._connectionInstruments, () => this._diag));
  }

  private get attempts(): WeakMap<object, Attempt> {
    return (this._attempts ??= new WeakMap());
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
    this._attempts = undefined;
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

  /**
   * The server attributes of an attempt, computed once (the user's hook
   * included) at `beforeConnect` and found again at its `connected` or
   * `connectError` through the connector, which undici passes in all three.
   * A Client connects once at a time; a connector shared by several origins
   * (a custom `connect` function) is told apart by the checked parameters.
   */
  private attemptAttributes({ connectParams, connector }: ConnectMessage): Attributes {
    const attempt = connector ? this.attempts.get(connector) : undefined;
    if (attempt && sameServer(attempt.params, connectParams)) return attempt.attributes;
    return this.serverAttributes(connectParams);
  }

  private onBeforeConnect(message: ConnectMessage): void {
    const attributes = this.serverAttributes(message.connectParams);
    if (message.connector) this.attempts.set(message.connector, { params: message.connectParams, attributes });
    // The connector creates its socket synchronously after this message; claim
    // it now so that a failed attempt still records its DNS, TCP and TLS phases.
    this.claimNextSocket(attributes);
  }

  private onConnected(message: ConnectMessage): void {
    const { socket } = message;
    if (!socket || !this.claim(socket)) return;
    const connection = socket as SocketLike;
    const server = this.attemptAttributes(message);
    const version = { [ATTR_NETWORK_PROTOCOL_VERSION]: connection.alpnProtocol === 'h2' ? '2' : '1.1' };
    const attributes = this.withConnectionDetails(server, version, connection.remoteAddress);
    markConnectionOwner(socket, PACKAGE_NAME); // undici's HTTP/2 sessions are not node:http2 clients' to count
    this.claimSocket(socket, server);
    const state = this.tracker.created(socket, attributes);
    state.extra ??= this.watchClose(connection);
  }

  private onSocketClose(socket: object): void {
    const { errored } = socket as { errored?: unknown };
    const state = this.tracker.closed(socket, causeOf(errored ? errorType(errored) : undefined));
    if (!state) return;
    this._httpInstruments.connectionDuration.record(seconds(state.readyAt), state.attributes);
  }

  private onConnectError(message: ConnectMessage): void {
    if (!this.claim(message)) return; // every subscriber gets this message: one failure
    this._connectionInstruments.failed.add(1, { ...this.attemptAttributes(message), [ATTR_ERROR_TYPE]: errorType(message.error) });
  }

  private onRequestCreate({ request }: RequestMessage): void {
    this.requests.set(request, performance.now());
  }

  private onSendHeaders({ request, socket }: RequestMessage): void {
    if (!socket) return;
    const state =
      this.tracker.used(socket) ??
      (this.tracker.claim(socket) ? this.tracker.adopt(socket, this.adoptedAttributes(request, socket as SocketLike)) : undefined);
    if (!state) return; // another instance counts this connection
    state.extra ??= this.watchClose(socket as SocketLike);
    const createdAt = this.requests.get(request);
    this.requests.set(request, socket);
    if (typeof createdAt === 'number') {
      this._httpInstruments.timeInQueue.record(seconds(createdAt), state.attributes);
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

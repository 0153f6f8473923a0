import { performance } from 'node:perf_hooks';
import { context, type Attributes } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import {
  ATTR_ERROR_TYPE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ConnectionTracker,
  HttpClientInstrumentationBase,
  defaultPortOf,
  errorType,
  markConnectionOwner,
  serverAddress,
  serverPort,
  type ChannelHandlers,
  type ConnectionState,
} from '@connmetrics/core';
import { Attempts } from './attempts';
import { UndiciChannel, type ConnectMessage, type ConnectParams, type RequestErrorMessage, type RequestMessage } from './channels';
import { closeCauseOf } from './close-reason';
import { ConnectionRecord } from './connection-record';
import { QueueWaits } from './queue-wait';
import { isBrokenConnection } from './reuse-failure';
import type { UndiciConnectionInstrumentationConfig } from './types';
import { protocolVersion, takesOver, type UndiciRequest, type UndiciSocket } from './undici-shapes';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** The connection a request is being served on: a field on undici's request object, not a map entry per request. */
const SERVED_ON = Symbol('connmetrics.undici.servedOn');
type Served = UndiciRequest & { [SERVED_ON]?: UndiciSocket };

/** Per-process bookkeeping while enabled; dropped as a whole by disable(). */
interface Books {
  readonly tracker: ConnectionTracker;
  readonly attempts: Attempts;
  readonly waits: QueueWaits;
  /** Connections ready but not yet used: created at their first request, unless that one takes the socket over (CONNECT, upgrade). */
  readonly ready: WeakMap<object, ConnectionRecord>;
  /** Sockets of attempts made under `suppressTracing`. */
  readonly ignored: WeakSet<object>;
  /** Every connection with a close listener, for disable(). */
  readonly watched: Set<ConnectionRecord>;
}

/**
 * Connection metrics for undici (npm undici 6, 7 and 8: `request`, `fetch`,
 * `Client`, `Pool`, `Agent`, `ProxyAgent`) and Node's global `fetch`, read from
 * undici's diagnostics channels. The channels are process-wide by name, so one
 * subscription sees every copy of undici in the process exactly once.
 */
export class UndiciConnectionInstrumentation extends HttpClientInstrumentationBase<UndiciConnectionInstrumentationConfig> {
  protected readonly protocolName = 'http';
  declare private _books: Books | undefined;

  constructor(config: UndiciConnectionInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  private get books(): Books {
    return (this._books ??= {
      tracker: new ConnectionTracker(() => this._connectionInstruments, () => this._diag),
      attempts: new Attempts(),
      waits: new QueueWaits(),
      ready: new WeakMap(),
      ignored: new WeakSet(),
      watched: new Set(),
    });
  }

  protected openConnectionStates(): Iterable<ConnectionState> {
    return this.books.tracker.open();
  }

  protected override onDisabled(): void {
    const books = this._books;
    if (!books) return;
    this._books = undefined;
    for (const record of books.watched) record.detach();
    books.tracker.clear();
  }

  protected channelHandlers(): ChannelHandlers {
    return {
      [UndiciChannel.BeforeConnect]: (message: ConnectMessage) => this.onBeforeConnect(message),
      [UndiciChannel.Connected]: (message: ConnectMessage) => this.onConnected(message),
      [UndiciChannel.ConnectError]: (message: ConnectMessage) => this.onConnectError(message),
      [UndiciChannel.RequestCreate]: (message: RequestMessage) => this.books.waits.created(message.request),
      [UndiciChannel.SendHeaders]: (message: RequestMessage) => this.onSendHeaders(message),
      [UndiciChannel.RequestTrailers]: (message: RequestMessage) => this.onRequestEnd(message.request as Served),
      [UndiciChannel.RequestError]: (message: RequestErrorMessage) => this.onRequestError(message),
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

  private onBeforeConnect({ connectParams, connector }: ConnectMessage): void {
    const books = this.books;
    books.waits.interrupt(); // the request that caused this attempt waits for it
    // The SDK's own requests (an exporter's) run under suppressTracing: decided once per connection.
    const suppressed = isTracingSuppressed(context.active());
    const attributes = suppressed ? {} : this.serverAttributes(connectParams);
    books.attempts.started(connector, { params: connectParams, attributes, suppressed });
    // The connector creates its socket synchronously after this message; claim
    // it now so that a failed attempt still records its DNS, TCP and TLS phases.
    if (!suppressed) this.claimNextSocket(attributes);
  }

  private onConnected({ connectParams, connector, socket }: ConnectMessage): void {
    if (!socket) return;
    const books = this.books;
    const attempt = books.attempts.find(connector, connectParams);
    if (attempt?.suppressed) {
      books.ignored.add(socket);
      return;
    }
    const connection = socket as UndiciSocket;
    const server = attempt?.attributes ?? this.serverAttributes(connectParams);
    const attributes: Attributes = { ...server, [ATTR_NETWORK_PROTOCOL_VERSION]: protocolVersion(connection) };
    if (this._config.recordPeerAddress && connection.remoteAddress) attributes[ATTR_NETWORK_PEER_ADDRESS] = connection.remoteAddress;
    markConnectionOwner(socket, PACKAGE_NAME); // undici's HTTP/2 sessions are not node:http2 clients' to count
    this.claimSocket(socket, server);
    // A socket handed from a proxy's Client to the target's (a tunnel) arrives here a second time.
    const previous = books.ready.get(socket);
    if (previous) this.forget(books, previous);
    books.ready.set(socket, this.record(books, connection, attributes));
  }

  private record(books: Books, socket: UndiciSocket, attributes: Attributes): ConnectionRecord {
    const record: ConnectionRecord = new ConnectionRecord(socket, attributes, () =>
      this.guarded('socket close', () => this.onSocketClose(books, record)),
    );
    books.watched.add(record);
    return record;
  }

  private onConnectError(message: ConnectMessage): void {
    const attempt = this.books.attempts.find(message.connector, message.connectParams);
    if (attempt?.suppressed) return;
    const server = attempt?.attributes ?? this.serverAttributes(message.connectParams);
    this._connectionInstruments.failed.add(1, { ...server, [ATTR_ERROR_TYPE]: errorType(message.error) });
  }

  /** A request is sent on a connection: one use (the hot path; it allocates nothing for a known connection). */
  private onSendHeaders({ request, socket }: RequestMessage): void {
    if (!socket) return;
    const books = this.books;
    const served = request as Served;
    if (takesOver(served)) {
      this.takenOver(books, socket);
      return;
    }
    const state = books.tracker.used(socket) ?? this.firstUse(books, served, socket as UndiciSocket);
    if (state === undefined) return;
    (state.extra as ConnectionRecord).sent(served);
    served[SERVED_ON] = socket as UndiciSocket;
    const waited = books.waits.sent(request, state.idleSince);
    if (waited !== undefined) this._httpInstruments.timeInQueue.record(waited, state.attributes);
  }

  /** A CONNECT or upgrade takes a new connection over: it becomes a tunnel (counted once as its target's connection) or leaves HTTP. */
  private takenOver(books: Books, socket: object): void {
    const record = books.ready.get(socket);
    if (!record) return;
    books.ready.delete(socket);
    this.forget(books, record);
  }

  private forget(books: Books, record: ConnectionRecord): void {
    books.watched.delete(record);
    record.detach();
  }

  /** The first use of a connection: created now if it became ready while enabled, else adopted. */
  private firstUse(books: Books, request: Served, socket: UndiciSocket): ConnectionState | undefined {
    const record = books.ready.get(socket);
    if (record) {
      books.ready.delete(socket);
      const state = books.tracker.created(socket, record.attributes);
      state.extra = record;
      return books.tracker.used(socket);
    }
    if (books.ignored.has(socket)) return undefined;
    const state = books.tracker.adopt(socket, this.adoptedAttributes(request, socket));
    state.extra ??= this.record(books, socket, state.attributes);
    return state;
  }

  private onRequestEnd(request: Served): void {
    const books = this.books;
    books.waits.interrupt();
    const socket = request[SERVED_ON];
    if (socket === undefined) return;
    request[SERVED_ON] = undefined;
    books.tracker.released(socket);
  }

  /** A request failed: on a connection that had served others and broke before any response, a failed reuse. */
  private onRequestError({ request, error }: RequestErrorMessage): void {
    const served = request as Served;
    const socket = served[SERVED_ON];
    if (socket !== undefined && isBrokenConnection(error)) {
      const tracker = this.books.tracker;
      const record = tracker.get(socket)?.extra as ConnectionRecord | undefined;
      if (record) {
        const type = errorType(error);
        if (record.failedBeforeResponse(served)) tracker.reuseFailed(socket, type);
        record.brokenBy ??= type;
        // The connection closes in the middle of this use: left in use, so that it is not recorded as idle.
        served[SERVED_ON] = undefined;
        this.books.waits.interrupt();
        return;
      }
    }
    this.onRequestEnd(served);
  }

  private onSocketClose(books: Books, record: ConnectionRecord): void {
    if (this._books !== books) return;
    books.watched.delete(record);
    const { socket } = record;
    const tracker = books.tracker;
    if (books.ready.get(socket) === record) {
      // Ready but closed before any request used it: a connection all the same.
      books.ready.delete(socket);
      tracker.created(socket, record.attributes).extra = record;
    }
    const open = tracker.get(socket);
    if (!open) return;
    const state = tracker.closed(socket, closeCauseOf(socket, open.inFlight > 0 || record.brokenBy !== undefined, record.lastRequest, open.uses));
    if (state) this._httpInstruments.connectionDuration.record((performance.now() - state.readyAt) / 1000, state.attributes);
  }

  /** Attributes of a connection opened before this instrumentation was enabled. */
  private adoptedAttributes(request: UndiciRequest, socket: UndiciSocket): Attributes {
    const { origin } = request;
    let url: URL | undefined;
    try {
      url = typeof origin === 'string' || origin instanceof URL ? new URL(String(origin)) : undefined;
    } catch {
      url = undefined;
    }
    return this.serverAttributes(
      { hostname: url?.hostname, port: url?.port, protocol: url?.protocol },
      { [ATTR_NETWORK_PROTOCOL_VERSION]: protocolVersion(socket) },
      socket.remoteAddress,
    );
  }
}

/*
 * The bookkeeping of undici connections: attempts, connections ready but not
 * yet used (created at their first request, unless it takes the socket over),
 * every use, the requests that waited, failed reuses, and how each connection
 * ends. The instrumentation feeds it from undici's channels.
 */
import { context, type Attributes, type DiagLogger } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import {
  ATTR_ERROR_TYPE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ConnectionTracker,
  HookRunner,
  errorType,
  seconds,
  type ConnectionInstruments,
  type ConnectionState,
  type HttpConnectionInstruments,
  withAttribute,
} from '@connmetrics/core';
import { Attempts } from './attempts';
import type { ConnectMessage, ConnectParams, RequestErrorMessage, RequestMessage } from './channels';
import { closeCauseOf } from './close-reason';
import { ConnectionRecord } from './connection-record';
import { QueueWaits } from './queue-wait';
import { isBrokenConnection } from './reuse-failure';
import { protocolVersion, takesOver, type UndiciRequest, type UndiciSocket } from './undici-shapes';

/** What the bookkeeping needs from its instrumentation. */
export interface ConnectionHost {
  readonly diag: DiagLogger;
  readonly connectionInstruments: ConnectionInstruments;
  readonly httpInstruments: HttpConnectionInstruments;
  readonly recordPeerAddress: boolean;
  /** A connection's attributes for an origin (the user's hook included). */
  attributes(params: ConnectParams, extra?: Attributes, peerAddress?: string): Attributes;
  /** Claims a socket's DNS, TCP and TLS phases. */
  claimSocket(socket: object, attributes: Attributes): void;
  /** Claims the socket undici is about to create in this synchronous run. */
  claimNextSocket(attributes: Attributes): void;
  /** Marks a socket as this package's (undici's HTTP/2 sessions are not node:http2 clients' to count). */
  own(socket: object): void;
  /** Whether this instance counts `subject` for its MeterProvider (another instance of it may, see core's claims). */
  claim(subject: object): boolean;
}

/** The connection a request is being served on: a field on undici's request object, not a map entry per request. */
const SERVED_ON = Symbol('connmetrics.undici.servedOn');
type Served = UndiciRequest & { [SERVED_ON]?: UndiciSocket };

export class UndiciConnections {
  readonly tracker: ConnectionTracker;
  private readonly attempts = new Attempts();
  private readonly waits = new QueueWaits();
  /** Connections ready but not yet used. */
  private readonly ready = new WeakMap<object, ConnectionRecord>();
  /** Sockets of attempts made under `suppressTracing`. */
  private readonly ignored = new WeakSet<object>();
  /** Every connection with a close listener, for detach(). */
  private readonly watched = new Set<ConnectionRecord>();
  private readonly hooks: HookRunner;
  private active = true;

  constructor(private readonly host: ConnectionHost) {
    this.tracker = new ConnectionTracker(() => host.connectionInstruments, () => host.diag);
    this.hooks = new HookRunner(() => host.diag);
  }

  /** Takes back every listener (disable()); the bookkeeping is dropped after this. */
  detach(): void {
    this.active = false;
    for (const record of this.watched) record.detach();
    this.watched.clear();
    this.tracker.clear();
  }

  beforeConnect({ connectParams, connector }: ConnectMessage): void {
    this.waits.interrupt(); // the request that caused this attempt waits for it
    // The SDK's own requests (an exporter's) run under suppressTracing: decided once per connection.
    const suppressed = isTracingSuppressed(context.active());
    const attributes = suppressed ? {} : this.host.attributes(connectParams);
    this.attempts.started(connector, { params: connectParams, attributes, suppressed });
    // The connector creates its socket synchronously after this message; claim
    // it now so that a failed attempt still records its DNS, TCP and TLS phases.
    if (!suppressed) this.host.claimNextSocket(attributes);
  }

  connected({ connectParams, connector, socket }: ConnectMessage): void {
    if (!socket || !this.host.claim(socket)) return;
    const attempt = this.attempts.find(connector, connectParams);
    if (attempt?.suppressed) {
      this.ignored.add(socket);
      return;
    }
    const connection = socket as UndiciSocket;
    const server = attempt?.attributes ?? this.host.attributes(connectParams);
    // One shared set per server, version and peer (see core's attribute-sets).
    let attributes = withAttribute(server, ATTR_NETWORK_PROTOCOL_VERSION, protocolVersion(connection));
    if (this.host.recordPeerAddress && connection.remoteAddress) attributes = withAttribute(attributes, ATTR_NETWORK_PEER_ADDRESS, connection.remoteAddress);
    this.host.own(socket);
    this.host.claimSocket(socket, server);
    // A socket handed from a proxy's Client to the target's (a tunnel) arrives here a second time.
    const previous = this.ready.get(socket);
    if (previous) this.forget(previous);
    this.ready.set(socket, this.watch(connection, attributes));
  }

  connectFailed(message: ConnectMessage): void {
    if (!this.host.claim(message)) return; // every instance gets this message: one failure
    const attempt = this.attempts.find(message.connector, message.connectParams);
    if (attempt?.suppressed) return;
    const server = attempt?.attributes ?? this.host.attributes(message.connectParams);
    this.host.connectionInstruments.failed.add(1, withAttribute(server, ATTR_ERROR_TYPE, errorType(message.error)));
  }

  requestCreated(request: object): void {
    this.waits.created(request);
  }

  /** A request is sent on a connection: one use (the hot path; it allocates nothing for a known connection). */
  headersSent({ request, socket }: RequestMessage): void {
    if (!socket) return;
    const served = request as Served;
    if (takesOver(served)) {
      this.takenOver(socket);
      return;
    }
    const state = this.tracker.used(socket) ?? this.firstUse(served, socket as UndiciSocket);
    if (state === undefined) return;
    (state.extra as ConnectionRecord).sent(served);
    served[SERVED_ON] = socket as UndiciSocket;
    const waited = this.waits.sent(request, state.idleSince);
    if (waited !== undefined) this.host.httpInstruments.timeInQueue.record(waited, state.attributes);
  }

  /** A request ended (its trailers): its connection is free again. */
  requestEnded(request: Served): void {
    this.waits.interrupt();
    const socket = request[SERVED_ON];
    // The mark is shared by every instance of this copy: a connection another instance counts is its to end.
    if (socket === undefined || this.tracker.released(socket) === undefined) return;
    request[SERVED_ON] = undefined;
  }

  /** A request failed: on a connection that had served others and broke before any response, a failed reuse. */
  requestFailed({ request, error }: RequestErrorMessage): void {
    const served = request as Served;
    const socket = served[SERVED_ON];
    if (socket !== undefined && isBrokenConnection(error)) {
      const record = this.tracker.get(socket)?.extra as ConnectionRecord | undefined;
      if (record) {
        const type = errorType(error);
        if (record.nothingReceived()) this.tracker.reuseFailed(socket, type);
        record.brokenBy ??= type;
        // The connection closes in the middle of this use: left in use, so that it is not recorded as idle.
        served[SERVED_ON] = undefined;
        this.waits.interrupt();
        return;
      }
    }
    this.requestEnded(served);
  }

  /** A CONNECT or upgrade takes a new connection over: it becomes a tunnel (counted once as its target's connection) or leaves HTTP. */
  private takenOver(socket: object): void {
    const record = this.ready.get(socket);
    if (!record) return;
    this.ready.delete(socket);
    this.forget(record);
  }

  /** The first use of a connection: created now if it became ready while enabled, else adopted. */
  private firstUse(request: Served, socket: UndiciSocket): ConnectionState | undefined {
    const record = this.ready.get(socket);
    if (record) {
      this.ready.delete(socket);
      this.tracker.created(socket, record.attributes).extra = record;
      return this.tracker.used(socket);
    }
    if (this.ignored.has(socket)) return undefined;
    const state = this.tracker.adopt(socket, this.adoptedAttributes(request, socket));
    if (state.counted === false) return undefined; // another instance counts this connection
    state.extra ??= this.watch(socket, state.attributes);
    return state;
  }

  private watch(socket: UndiciSocket, attributes: Attributes): ConnectionRecord {
    const record: ConnectionRecord = new ConnectionRecord(socket, attributes, () =>
      this.hooks.run('socket close', () => this.closed(record)),
    );
    this.watched.add(record);
    return record;
  }

  private forget(record: ConnectionRecord): void {
    this.watched.delete(record);
    record.detach();
  }

  private closed(record: ConnectionRecord): void {
    if (!this.active) return;
    this.watched.delete(record);
    const { socket } = record;
    if (this.ready.get(socket) === record) {
      // Ready but closed before any request used it: a connection all the same.
      this.ready.delete(socket);
      this.tracker.created(socket, record.attributes).extra = record;
    }
    const open = this.tracker.get(socket);
    if (!open) return;
    const interrupted = open.inFlight > 0 || record.brokenBy !== undefined;
    const state = this.tracker.closed(socket, closeCauseOf(socket, interrupted, record.lastAskedReset, open.uses));
    if (state) this.host.httpInstruments.connectionDuration.record(seconds(state.readyAt), state.attributes);
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
    return this.host.attributes(
      { hostname: url?.hostname, port: url?.port, protocol: url?.protocol },
      { [ATTR_NETWORK_PROTOCOL_VERSION]: protocolVersion(socket) },
      socket.remoteAddress,
    );
  }
}

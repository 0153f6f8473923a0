/*
 * The bookkeeping of node:http connections: which sockets are new
 * connections (followed from their first sighting until ready or failed),
 * which are adopted, every use, the requests an agent queued, and how each
 * connection ends. The instrumentation feeds it from Node's channels; the
 * sockets' own events arrive through listeners shared by every socket.
 */
import { performance } from 'node:perf_hooks';
import { context, type Attributes, type DiagLogger } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import {
  ATTR_ERROR_TYPE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ConnectionTracker,
  ERROR_TYPE_OTHER,
  errorType,
  guard,
  withAttribute,
  type ConnectionInstruments,
  type ConnectionState,
  type HttpConnectionInstruments,
} from '@connmetrics/core';
import { AgentRegistry } from './agents';
import { closeCauseOf } from './close-reason';
import { ConnectionRecord } from './connection-record';
import {
  closeErrorType,
  forEachSocket,
  isAgent,
  isReady,
  nameOfNewest,
  oneIsFinishing,
  queueOf,
  readyEvent,
  takesOver,
  type AgentLike,
  type ClientRequestLike,
  type Listener,
  type SocketLike,
} from './http-shapes';
import { serverOf } from './server';
import { SocketBirths } from './socket-births';

/** What the bookkeeping needs from its instrumentation. */
export interface ConnectionHost {
  readonly diag: DiagLogger;
  readonly connectionInstruments: ConnectionInstruments;
  readonly httpInstruments: HttpConnectionInstruments;
  readonly recordPeerAddress: boolean;
  /** A connection's attributes (the user's hook included). */
  attributes(address: string | undefined, port: number | undefined): Attributes;
  /** Claims a socket's DNS, TCP and TLS phases. */
  claimSocket(socket: object, attributes: Attributes): boolean;
  /** Whether this instance counts `subject` for its MeterProvider (another instance of it may, see core's claims). */
  claim(subject: object): boolean;
  /** Forgets the claim of a socket that closed (it is never connected again). */
  release(subject: object): void;
}

/** A new connection between its first sighting and the moment it is ready (or fails): its record, with `server` set. */
type Opening = ConnectionRecord & { readonly server: Attributes };

/** When a request entered its agent's queue, on the request itself (no map entry per request). */
const QUEUED_AT = Symbol('connmetrics.http.queuedAt');
/** Marks a queued request whose wait was recorded when it got its connection. */
const WAIT_RECORDED = -1;
type Queued = ClientRequestLike & { [QUEUED_AT]?: number };

const seconds = (from: number, to: number) => Math.max(0, to - from) / 1000;

export class HttpConnections {
  readonly tracker: ConnectionTracker;
  readonly agents = new AgentRegistry();
  private readonly opening = new WeakMap<object, Opening>();
  private readonly births = new SocketBirths();
  /** Sockets that carry this bookkeeping's listeners, until they close. */
  private readonly followed = new Set<SocketLike>();
  /** Sockets of requests made under `suppressTracing` (the SDK's own exports). */
  private readonly ignored = new WeakSet<object>();
  private active = true;
  /** The agent's name for the origin of the last new connection (most applications talk to few origins). */
  private lastPoolName: string | undefined;
  /** When this bookkeeping began: sockets born earlier (before a disable()) are not its births. */
  private readonly since = performance.now();
  private readonly onReady: Listener<SocketLike>;
  private readonly onClose: Listener<SocketLike>;
  private readonly onFree: Listener<SocketLike>;
  private readonly onTimeout: Listener<SocketLike>;
  private readonly onQueuedSocket: Listener<ClientRequestLike>;

  constructor(private readonly host: ConnectionHost) {
    this.tracker = new ConnectionTracker(() => host.connectionInstruments, () => host.diag);
    // One listener of each kind for every socket and request: `this` is the emitter.
    const ready = guard(host.diag, 'socket ready', (socket: SocketLike) => this.socketReady(socket));
    const close = guard(host.diag, 'socket close', (socket: SocketLike) => this.socketClosed(socket));
    const free = guard(host.diag, 'socket free', (socket: SocketLike) => this.socketFreed(socket));
    const timeout = guard(host.diag, 'socket timeout', (socket: SocketLike) => this.socketTimedOut(socket));
    const assigned = guard(host.diag, 'queued request socket', (request: ClientRequestLike, socket: SocketLike) =>
      this.queuedRequestSocket(request, socket),
    );
    this.onReady = function (this: SocketLike) {
      ready(this);
    };
    this.onClose = function (this: SocketLike) {
      close(this);
    };
    this.onFree = function (this: SocketLike) {
      free(this);
    };
    this.onTimeout = function (this: SocketLike) {
      timeout(this);
    };
    this.onQueuedSocket = function (this: ClientRequestLike, socket: SocketLike) {
      assigned(this, socket);
    };
  }

  /** Takes back every listener (disable()); the bookkeeping is dropped after this. */
  detach(): void {
    this.active = false;
    for (const socket of this.followed) {
      socket.removeListener('connect', this.onReady);
      socket.removeListener('secureConnect', this.onReady);
      socket.removeListener('close', this.onClose);
      socket.removeListener('free', this.onFree);
      socket.removeListener('timeout', this.onTimeout);
    }
    this.followed.clear();
    this.agents.forEach((agent) =>
      forEachSocket(agent.requests, (request) => (request as ClientRequestLike).removeListener('socket', this.onQueuedSocket)),
    );
    this.agents.clear();
    this.tracker.clear();
  }

  /** `net.client.socket`: a client socket started connecting. */
  socketBorn(socket: object): void {
    this.births.born(socket);
  }

  /**
   * `http.client.request.created`: its agent has either handed it a
   * connection (a new one, announced a moment ago, is followed from now on),
   * or queued it (its wait starts now), or will hand it one later.
   */
  requestCreated(request: ClientRequestLike): void {
    const born = this.births.takeLast();
    const agent = request.agent;
    if (!isAgent(agent)) return; // no agent: the socket is seen when the request is sent
    if (born !== undefined) {
      const poolName = nameOfNewest(agent.sockets, born, this.lastPoolName);
      this.lastPoolName = poolName ?? this.lastPoolName;
      if (poolName !== undefined) {
        if (takesOver(request) || this.suppressed(born)) return;
        this.follow(request, born as SocketLike, this.births.at(born, this.since) ?? performance.now(), poolName);
        return;
      }
    }
    const queue = queueOf(agent, request);
    // A request queued behind a connection that has only to be freed does not wait for a connection.
    if (queue !== undefined && !oneIsFinishing(agent.sockets?.[queue]) && !isTracingSuppressed(context.active())) {
      this.queued(agent, request);
    }
  }

  /** Whether the current request runs under `suppressTracing`; its socket is then ignored for good. */
  private suppressed(socket: object): boolean {
    if (!isTracingSuppressed(context.active())) return false;
    this.ignored.add(socket);
    return true;
  }

  private queued(agent: AgentLike, request: Queued): void {
    this.agents.track(agent); // so that detach() can take back the listener below
    request[QUEUED_AT] = performance.now();
    request.once('socket', this.onQueuedSocket);
  }

  /** A queued request was handed a connection: its wait ends now (or when a new one is ready). */
  private queuedRequestSocket(request: Queued, socket: SocketLike): void {
    const queuedAt = request[QUEUED_AT];
    if (!this.active || queuedAt === undefined || queuedAt === WAIT_RECORDED) return;
    this.see(request, socket, queuedAt);
    const opening = this.opening.get(socket);
    if (opening) {
      opening.waitStartedAt = queuedAt; // recorded when the connection is ready
    } else {
      const state = this.tracker.get(socket);
      if (!state) return; // adopted when the request is sent, which records the wait
      // A connection ready but not yet used records its first request's wait at its first use.
      if (!(state.uses === 0 && state.observedFromStart)) {
        this.host.httpInstruments.timeInQueue.record(seconds(queuedAt, performance.now()), state.attributes);
      }
    }
    request[QUEUED_AT] = WAIT_RECORDED;
  }

  /**
   * `http.client.request.start`: a request was sent on its socket, one use
   * of the connection. The hot path: for a known connection it allocates
   * nothing and records nothing through the SDK.
   */
  requestStarted(request: Queued): void {
    const socket = request.socket;
    if (!socket) return;
    const state = this.tracker.used(socket);
    if (state === undefined) {
      this.firstSight(request, socket);
      return;
    }
    (state.extra as ConnectionRecord).sent(request);
    const queuedAt = request[QUEUED_AT];
    // A first use of a connection that was ready before its request was sent: its wait ends now.
    if (queuedAt !== undefined && queuedAt !== WAIT_RECORDED && state.uses === 1) {
      request[QUEUED_AT] = WAIT_RECORDED;
      this.host.httpInstruments.timeInQueue.record(seconds(queuedAt, performance.now()), state.attributes);
    }
  }

  /** A request sent on a socket the tracker does not know yet. */
  private firstSight(request: Queued, socket: SocketLike): void {
    if (this.ignored.has(socket) || takesOver(request) || this.suppressed(socket)) return;
    const queuedAt = request[QUEUED_AT];
    const waitStartedAt = queuedAt === WAIT_RECORDED ? undefined : queuedAt;
    this.see(request, socket, waitStartedAt);
    const opening = this.opening.get(socket);
    if (opening) {
      opening.started = request; // counted when the connection is ready
      return;
    }
    let state = this.tracker.used(socket); // a new connection already ready when seen
    if (state === undefined) {
      state = this.adopt(request, socket);
      if (state === undefined) return;
      if (waitStartedAt !== undefined) this.host.httpInstruments.timeInQueue.record(seconds(waitStartedAt, performance.now()), state.attributes);
    }
    (state.extra as ConnectionRecord).sent(request);
  }

  /**
   * `http.client.request.error`: the error the application sees. On a
   * connection not yet ready, the attempt failed; on a ready one, it says
   * why the connection is closing, and, before any response on a connection
   * that had served others, that a reuse failed.
   */
  requestFailed(request: ClientRequestLike, error: unknown): void {
    const socket = request.socket;
    if (!socket) return; // no connection was ever attempted for it
    const opening = this.opening.get(socket);
    if (opening) {
      this.failed(socket, opening, errorType(error));
      return;
    }
    const type = errorType(error);
    const record = this.tracker.get(socket)?.extra as ConnectionRecord | undefined;
    if (record && record.errorType === undefined) record.errorType = type;
    // Not when the application destroyed the request itself (an abort, its own timeout).
    if (!request.res && request.destroyed !== true) this.tracker.reuseFailed(socket, type);
  }

  private failed(socket: object, opening: Opening, type: string): void {
    this.opening.delete(socket);
    this.host.release(socket);
    this.host.connectionInstruments.failed.add(1, withAttribute(opening.server, ATTR_ERROR_TYPE, type));
  }

  /**
   * Follows a socket first seen serving a request if it is a new connection:
   * still connecting, or started connecting while enabled (itself, or the
   * socket under it when TLS runs over a proxy tunnel an agent built).
   */
  private see(request: ClientRequestLike, socket: SocketLike, waitStartedAt: number | undefined): void {
    if (socket.destroyed === true || this.opening.has(socket) || this.tracker.get(socket)) return;
    const bornAt = this.births.at(socket, this.since) ?? this.births.at(socket._parent, this.since);
    if (bornAt !== undefined || !isReady(socket)) {
      this.follow(request, socket, waitStartedAt ?? bornAt ?? performance.now());
    }
  }

  /**
   * A connection opened before the instrumentation was enabled, first seen
   * serving a request: tracked from now on, and all its uses (this one
   * included) count as reused, since none of them paid for its setup.
   */
  private adopt(request: ClientRequestLike, socket: SocketLike): ConnectionState | undefined {
    if (socket.destroyed === true || !this.host.claim(socket)) return undefined;
    const { address, port } = serverOf(request, socket);
    const state = this.tracker.adopt(socket, this.connectionAttributes(this.host.attributes(address, port), socket));
    state.extra = new ConnectionRecord();
    this.watch(socket, true);
    return state;
  }

  /**
   * node:http speaks HTTP/1.1 only (HTTP/2 is node:http2, not an Agent); the
   * peer address read only when asked for (a system call). One shared set
   * per server (and peer): see core's attribute-sets.
   */
  private connectionAttributes(server: Attributes, socket: SocketLike): Attributes {
    const attributes = withAttribute(server, ATTR_NETWORK_PROTOCOL_VERSION, '1.1');
    const peer = this.host.recordPeerAddress ? socket.remoteAddress : undefined;
    return peer ? withAttribute(attributes, ATTR_NETWORK_PEER_ADDRESS, peer) : attributes;
  }

  /** Follows a new connection until it is ready (at once if it already is) or fails. */
  private follow(request: ClientRequestLike, socket: SocketLike, waitStartedAt: number, poolName?: string): void {
    if (this.opening.has(socket) || this.tracker.get(socket) || !this.host.claim(socket)) return;
    const { address, port } = serverOf(request, socket, poolName);
    const server = this.host.attributes(address, port);
    const opening = new ConnectionRecord(server) as Opening;
    opening.waitStartedAt = waitStartedAt;
    this.opening.set(socket, opening);
    // TLS over a tunnel is not announced as a socket of its own: the tunnel's phases are the connection's.
    if (!this.host.claimSocket(socket, server) && socket._parent) this.host.claimSocket(socket._parent, server);
    // A request that says `Connection: close` ends its connection: no 'free' nor idle timeout will come.
    this.watch(socket, request.shouldKeepAlive !== false);
    // on(), not once(): one listener shared by every socket, taken back when it fires (no wrapper per socket).
    if (isReady(socket)) this.socketReady(socket);
    else socket.on(readyEvent(socket), this.onReady);
  }

  private watch(socket: SocketLike, keptAlive: boolean): void {
    socket.on('close', this.onClose);
    if (keptAlive) {
      socket.on('free', this.onFree);
      socket.on('timeout', this.onTimeout);
    }
    this.followed.add(socket);
  }

  /** A new connection is ready for its first request: created, and that request's wait ends. */
  private socketReady(socket: SocketLike): void {
    socket.removeListener(readyEvent(socket), this.onReady);
    const opening = this.opening.get(socket);
    if (!this.active || !opening) return;
    this.opening.delete(socket);
    const attributes = this.connectionAttributes(opening.server, socket);
    const state = this.tracker.created(socket, attributes);
    state.extra = opening; // its record from now on
    this.host.httpInstruments.timeInQueue.record(seconds(opening.waitStartedAt, state.readyAt), attributes); // readyAt: now
    const started = opening.started;
    if (started) {
      opening.started = undefined;
      this.tracker.used(socket);
      opening.sent(started);
    }
  }

  /** A use ended and the agent took the connection back (its own 'free' listener ran first: it may have destroyed it). */
  private socketFreed(socket: SocketLike): void {
    const state = this.tracker.released(socket);
    if (state && socket.destroyed === true) (state.extra as ConnectionRecord).dropped = true;
  }

  /** An idle connection's timeout fired: its agent closes it now. */
  private socketTimedOut(socket: SocketLike): void {
    if (socket._httpMessage) return; // a request's timeout, the application's to handle
    const record = this.tracker.get(socket)?.extra as ConnectionRecord | undefined;
    if (record) record.timedOut = true;
  }

  /**
   * A followed socket closed: an attempt that failed if it never became
   * ready, else the end of a connection. When an error is due but not yet
   * reported (Node reports 'socket hang up' from its own 'close' listener,
   * which may run after this one), the close waits a tick for it, so that
   * `error.type` is the code of the error the application saw.
   */
  private socketClosed(socket: SocketLike): void {
    if (!this.active) return;
    const closedAt = performance.now();
    this.followed.delete(socket);
    socket.removeListener(readyEvent(socket), this.onReady);
    socket.removeListener('free', this.onFree); // no-ops when they were never added
    socket.removeListener('timeout', this.onTimeout);
    if (this.opening.has(socket)) {
      process.nextTick(
        guard(this.host.diag, 'connection failed', () => {
          const opening = this.opening.get(socket);
          if (opening && this.active) this.failed(socket, opening, socket.errored ? errorType(socket.errored) : ERROR_TYPE_OTHER);
        }),
      );
      return;
    }
    const open = this.tracker.get(socket);
    if (!open) return;
    if ((open.extra as ConnectionRecord | undefined)?.errorType !== undefined || closeErrorType(socket) === undefined) this.closeConnection(socket, closedAt);
    else process.nextTick(guard(this.host.diag, 'connection closed', () => this.closeConnection(socket, closedAt)));
  }

  private closeConnection(socket: SocketLike, closedAt: number): void {
    if (!this.active) return;
    const open = this.tracker.get(socket);
    if (!open) return;
    const record = open.extra as ConnectionRecord | undefined;
    const type = record?.errorType ?? closeErrorType(socket);
    const cause = closeCauseOf(socket, record, open.inFlight === 0, type);
    const state = this.tracker.closed(socket, cause);
    if (!state) return;
    this.host.release(socket);
    const attributes = type === undefined ? state.attributes : withAttribute(state.attributes, ATTR_ERROR_TYPE, type);
    this.host.httpInstruments.connectionDuration.record(seconds(state.readyAt, closedAt), attributes);
  }
}

import { performance } from 'node:perf_hooks';
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  HttpClientInstrumentationBase,
  ConnectionTracker,
  ERROR_TYPE_OTHER,
  errorType,
  guard,
  seconds,
  type ChannelHandlers,
  type ConnectionState,
  causeOf,
} from '@connmetrics/core';
import { AgentRegistry } from './agents';
import { HttpChannel, type ClientSocketMessage, type RequestErrorMessage, type RequestMessage } from './channels';
import {
  closeErrorType,
  forEachSocket,
  isAgent,
  isQueued,
  isReady,
  nameOfNewest,
  readyEvent,
  type AgentLike,
  type ClientRequestLike,
  type Listener,
  type SocketLike,
} from './node-http';
import { serverOf } from './server';
import type { HttpConnectionInstrumentationConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** node:http speaks HTTP/1.1 only (HTTP/2 is node:http2, not an Agent). */
const HTTP_1_1: Attributes = Object.freeze({ [ATTR_NETWORK_PROTOCOL_VERSION]: '1.1' });
const EMPTY: ReadonlySet<never> = new Set();
/** Marks a queued request whose wait was recorded when it got its connection. */
const WAIT_RECORDED = -1;

/** A new connection between its first sighting and the moment it is ready (or fails). */
interface Opening {
  readonly address: string | undefined;
  readonly port: number | undefined;
  /** Attributes of its socket phases and of a failure. */
  readonly server: Attributes;
  /** When the request that will use it first began to wait (creation, or entering the agent's queue). */
  waitStartedAt: number;
  /** Whether that request was already sent (it is counted when the connection is ready). */
  started: boolean;
}

/** Per-process bookkeeping while enabled; dropped as a whole by disable(). */
interface Books {
  readonly tracker: ConnectionTracker;
  readonly agents: AgentRegistry;
  readonly opening: WeakMap<object, Opening>;
  /** Client sockets that started connecting while enabled, with when. */
  readonly bornAt: WeakMap<object, number>;
  /** The socket announced last, until the end of the synchronous run that created it. */
  lastBorn: object | undefined;
  /** Requests an agent queued, with when; removed when the request is sent. */
  readonly queuedSince: WeakMap<object, number>;
  /** Sockets that carry this instrumentation's listeners, until they close. */
  readonly followed: Set<SocketLike>;
  /** `error.type` of the error a socket's request reported: what the application saw. */
  readonly errors: WeakMap<object, string>;
}

/** Listeners shared by every socket and request: `this` is the emitter. */
interface Listeners {
  readonly socketReady: Listener<SocketLike>;
  readonly socketClose: Listener<SocketLike>;
  readonly queuedRequestSocket: Listener<ClientRequestLike>;
}

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
  declare private _books: Books | undefined;
  declare private _listeners: Listeners | undefined;

  constructor(config: HttpConnectionInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  private get books(): Books {
    if (this._books) return this._books;
    const books: Books = {
      tracker: new ConnectionTracker(() => this._connectionInstruments, () => this._diag),
      agents: new AgentRegistry(),
      opening: new WeakMap(),
      bornAt: new WeakMap(),
      lastBorn: undefined,
      queuedSince: new WeakMap(),
      followed: new Set(),
      errors: new WeakMap(),
    };
    return (this._books = books);
  }

  private get listeners(): Listeners {
    if (this._listeners) return this._listeners;
    const self = this;
    const diag = this._diag;
    const ready = guard(diag, 'socket ready', (socket: SocketLike) => self.onSocketReady(socket));
    const close = guard(diag, 'socket close', (socket: SocketLike) => self.onSocketClose(socket));
    const assigned = guard(diag, 'queued request socket', (request: ClientRequestLike, socket: SocketLike) =>
      self.onQueuedRequestSocket(request, socket),
    );
    return (this._listeners = {
      socketReady(this: SocketLike) {
        ready(this);
      },
      socketClose(this: SocketLike) {
        close(this);
      },
      queuedRequestSocket(this: ClientRequestLike, socket: SocketLike) {
        assigned(this, socket);
      },
    });
  }

  protected openConnectionStates(): Iterable<ConnectionState> {
    return this.markIdleConnections();
  }

  /**
   * The open connections, each marked in use or idle from the pools of the
   * agents: a connection is idle exactly while it sits in its agent's
   * `freeSockets`; otherwise it serves a request (or belongs to no agent).
   */
  private markIdleConnections(): ReadonlySet<ConnectionState> {
    const books = this._books;
    if (!books) return EMPTY;
    const { tracker } = books;
    for (const state of tracker.open()) state.inFlight = 1;
    books.agents.forEach((agent) =>
      forEachSocket(agent.freeSockets, (socket) => {
        const state = tracker.get(socket);
        if (state) state.inFlight = 0;
      }),
    );
    return tracker.open();
  }

  protected channelHandlers(): ChannelHandlers {
    return {
      [HttpChannel.ClientSocket]: (message: ClientSocketMessage) => this.onClientSocket(message),
      [HttpChannel.RequestCreated]: (message: RequestMessage) => this.onRequestCreated(message),
      [HttpChannel.RequestStart]: (message: RequestMessage) => this.onRequestStart(message),
      [HttpChannel.RequestError]: (message: RequestErrorMessage) => this.onRequestError(message),
    };
  }

  protected override onDisabled(): void {
    const books = this._books;
    if (!books) return;
    this._books = undefined;
    const listeners = this.listeners;
    for (const socket of books.followed) {
      socket.removeListener('connect', listeners.socketReady);
      socket.removeListener('secureConnect', listeners.socketReady);
      socket.removeListener('close', listeners.socketClose);
    }
    books.agents.forEach((agent) =>
      forEachSocket(agent.requests, (request) =>
        (request as ClientRequestLike).removeListener('socket', listeners.queuedRequestSocket),
      ),
    );
    books.agents.clear();
    books.tracker.clear();
    books.followed.clear();
  }

  /** A client socket started connecting: remember when, and that it is new. */
  private onClientSocket({ socket }: ClientSocketMessage): void {
    const books = this.books;
    books.bornAt.set(socket, performance.now());
    books.lastBorn = socket;
    queueMicrotask(() => {
      if (books.lastBorn === socket) books.lastBorn = undefined;
    });
  }

  /**
   * A request was constructed. Its agent has either handed it a connection
   * (a new one, announced a moment ago, is followed from now on), or queued
   * it (its wait starts now), or will hand it one later.
   */
  private onRequestCreated({ request }: RequestMessage): void {
    const books = this.books;
    const born = books.lastBorn;
    books.lastBorn = undefined;
    const req = request as ClientRequestLike;
    const agent = req.agent;
    if (!isAgent(agent)) return; // no agent: the socket is seen when the request is sent
    if (agent.keepAlive === true) books.agents.track(agent);
    if (born !== undefined) {
      const poolName = nameOfNewest(agent.sockets, born);
      if (poolName !== undefined) {
        this.follow(req, born as SocketLike, books.bornAt.get(born) ?? performance.now(), poolName);
        return;
      }
    }
    if (isQueued(agent, req)) this.queued(books, agent, req);
  }

  private queued(books: Books, agent: AgentLike, request: ClientRequestLike): void {
    books.agents.track(agent); // so that disable() can take back the listener below
    books.queuedSince.set(request, performance.now());
    request.once('socket', this.listeners.queuedRequestSocket);
  }

  /** A queued request was handed a connection: its wait for one ends now (or when a new one is ready). */
  private onQueuedRequestSocket(request: ClientRequestLike, socket: SocketLike): void {
    const books = this._books;
    const queuedAt = books?.queuedSince.get(request);
    if (!books || queuedAt === undefined || queuedAt === WAIT_RECORDED) return;
    this.see(books, request, socket, queuedAt);
    const opening = books.opening.get(socket);
    if (opening) {
      opening.waitStartedAt = queuedAt; // recorded when the connection is ready
    } else {
      const state = books.tracker.get(socket);
      if (!state) return; // adopted when the request is sent, which records the wait
      if (!(state.uses === 0 && state.observedFromStart)) {
        this._httpInstruments.timeInQueue.record(seconds(queuedAt, performance.now()), state.attributes);
      }
    }
    books.queuedSince.set(request, WAIT_RECORDED);
  }

  /**
   * A request was sent on its socket: one use of the connection. This is the
   * hot path: for a connection already known it allocates nothing.
   */
  private onRequestStart({ request }: RequestMessage): void {
    const req = request as ClientRequestLike;
    const socket = req.socket;
    if (!socket) return;
    const books = this.books;
    const queuedAt = books.queuedSince.get(req);
    if (queuedAt !== undefined) books.queuedSince.delete(req);
    let waitRecorded = queuedAt === WAIT_RECORDED;
    const waitStartedAt = waitRecorded ? undefined : queuedAt;
    let state = books.tracker.get(socket);
    if (state === undefined) {
      this.see(books, req, socket, waitStartedAt);
      const opening = books.opening.get(socket);
      if (opening) {
        opening.started = true; // counted when the connection is ready
        return;
      }
      state = books.tracker.get(socket);
      if (state === undefined) {
        state = this.adopt(books, req, socket);
        if (state && !waitRecorded) this.recordWait(waitStartedAt, state.attributes);
        return;
      }
    }
    // The first use of a created connection had its wait recorded when the connection became ready.
    waitRecorded ||= state.uses === 0 && state.observedFromStart;
    books.tracker.used(socket);
    if (!waitRecorded) this.recordWait(waitStartedAt, state.attributes);
  }

  /** Records a request's wait for a connection: none unless it was queued. */
  private recordWait(queuedAt: number | undefined, attributes: Attributes): void {
    this._httpInstruments.timeInQueue.record(queuedAt === undefined ? 0 : seconds(queuedAt, performance.now()), attributes);
  }

  /**
   * A request reported an error (the one the application sees). On a
   * connection not yet ready, the attempt failed; on a ready one, this is why
   * it is closing.
   */
  private onRequestError({ request, error }: RequestErrorMessage): void {
    const socket = (request as ClientRequestLike).socket;
    if (!socket) return; // no connection was ever attempted for it
    const books = this.books;
    const opening = books.opening.get(socket);
    if (opening) this.failed(books, socket, opening, errorType(error));
    else if (!books.errors.has(socket)) books.errors.set(socket, errorType(error));
  }

  private failed(books: Books, socket: object, opening: Opening, type: string): void {
    books.opening.delete(socket);
    this._connectionInstruments.failed.add(1, { ...opening.server, [ATTR_ERROR_TYPE]: type });
  }

  /**
   * Follows a socket first seen serving a request if it is a new connection:
   * still connecting, or started connecting while enabled (itself, or the
   * socket under it when TLS runs over a proxy tunnel an agent built).
   */
  private see(books: Books, request: ClientRequestLike, socket: SocketLike, waitStartedAt: number | undefined): void {
    if (socket.destroyed === true || books.opening.has(socket) || books.tracker.get(socket)) return;
    const tunnel = socket._parent;
    const bornAt = books.bornAt.get(socket) ?? (tunnel ? books.bornAt.get(tunnel) : undefined);
    if (bornAt !== undefined || !isReady(socket)) {
      this.follow(request, socket, waitStartedAt ?? bornAt ?? performance.now());
    }
  }

  /**
   * A connection opened before the instrumentation was enabled, first seen
   * serving a request: tracked from now on, and all its uses (this one
   * included) count as reused, since none of them paid for its setup.
   */
  private adopt(books: Books, request: ClientRequestLike, socket: SocketLike): ConnectionState | undefined {
    if (socket.destroyed === true || !this.claim(socket)) return undefined;
    const { address, port } = serverOf(request, socket);
    const state = books.tracker.adopt(socket, this.connectionAttributes(address, port, HTTP_1_1, socket.remoteAddress));
    this.watchClose(books, socket);
    return state;
  }

  /** Follows a new connection until it is ready (at once if it already is) or fails. */
  private follow(request: ClientRequestLike, socket: SocketLike, waitStartedAt: number, poolName?: string): void {
    const books = this.books;
    if (books.opening.has(socket) || books.tracker.get(socket) || !this.claim(socket)) return;
    const { address, port } = serverOf(request, socket, poolName);
    const server = this.connectionAttributes(address, port);
    books.opening.set(socket, { address, port, server, waitStartedAt, started: false });
    // TLS over a tunnel is not announced as a socket of its own: the tunnel's phases are the connection's.
    if (!this.claimSocket(socket, server) && socket._parent) this.claimSocket(socket._parent, server);
    this.watchClose(books, socket);
    if (isReady(socket)) this.onSocketReady(socket);
    else socket.once(readyEvent(socket), this.listeners.socketReady);
  }

  private watchClose(books: Books, socket: SocketLike): void {
    socket.once('close', this.listeners.socketClose);
    books.followed.add(socket);
  }

  /** A new connection is ready for its first request: created, and that request's wait ends. */
  private onSocketReady(socket: SocketLike): void {
    const books = this._books;
    const opening = books?.opening.get(socket);
    if (!books || !opening) return;
    books.opening.delete(socket);
    const attributes = this.connectionAttributes(opening.address, opening.port, HTTP_1_1, socket.remoteAddress);
    books.tracker.created(socket, attributes);
    this._httpInstruments.timeInQueue.record(seconds(opening.waitStartedAt, performance.now()), attributes);
    if (opening.started) books.tracker.used(socket);
  }

  /**
   * A followed socket closed: an attempt that failed if it never became
   * ready, else the end of a connection's lifetime. `error.type` is the code
   * of the error its request reported, the one the application saw. When an
   * error is due but none was reported yet (Node reports 'socket hang up'
   * from its own 'close' listener, which may run after this one), the record
   * waits a tick for it.
   */
  private onSocketClose(socket: SocketLike): void {
    const books = this._books;
    if (!books) return;
    const closedAt = performance.now();
    books.followed.delete(socket);
    socket.removeListener(readyEvent(socket), this.listeners.socketReady);
    if (books.opening.has(socket)) {
      this.nextTick('connection failed', () => {
        const opening = books.opening.get(socket);
        if (opening && this._books === books) {
          this.failed(books, socket, opening, socket.errored ? errorType(socket.errored) : ERROR_TYPE_OTHER);
        }
      });
      return;
    }
    const state = books.tracker.closed(socket, causeOf(books.errors.get(socket) ?? closeErrorType(socket)));
    if (!state) return;
    const record = () => {
      if (this._books !== books) return; // disabled meanwhile
      const reason = books.errors.get(socket) ?? closeErrorType(socket);
      const attributes = reason === undefined ? state.attributes : { ...state.attributes, [ATTR_ERROR_TYPE]: reason };
      this._httpInstruments.connectionDuration.record(seconds(state.readyAt, closedAt), attributes);
    };
    if (books.errors.has(socket) || closeErrorType(socket) === undefined) record();
    else this.nextTick('connection closed', record);
  }

  /** Runs a hook on the next tick, guarded like every other (only on error paths: it allocates). */
  private nextTick(name: string, hook: () => void): void {
    process.nextTick(guard(this._diag, name, hook));
  }
}

/*
 * The parts of Node's HTTP client objects this package reads (types only:
 * nothing is imported from node:http at run time), and small questions about
 * them. Underscored fields are Node's own, stable since Node 0.x, and read
 * only where no public field says the same thing.
 */
import { errorType } from '@connmetrics/core';

/** A listener on one of Node's event emitters, called with the emitter as `this`. */
export type Listener<T> = (this: T, ...args: any[]) => void;

export interface EmitterLike<T> {
  on(event: string, listener: Listener<T>): unknown;
  once(event: string, listener: Listener<T>): unknown;
  removeListener(event: string, listener: Listener<T>): unknown;
}

/** Connection lists of an `http.Agent`, by the agent's name for an origin (`host:port:...`). */
export type SocketLists = Readonly<Record<string, readonly object[] | undefined>>;

/** The parts of `http.Agent` (and Agent-like objects) this package reads. */
export interface AgentLike {
  readonly keepAlive?: unknown;
  readonly defaultPort?: unknown;
  /** Connections serving a request (or connecting for one). */
  readonly sockets?: SocketLists;
  /** Idle connections kept alive for the next request. */
  readonly freeSockets?: SocketLists;
  /** Requests waiting for a connection (the agent is at `maxSockets`). */
  readonly requests?: SocketLists;
}

/** The parts of `http.ClientRequest` this package reads. */
export interface ClientRequestLike extends EmitterLike<ClientRequestLike> {
  readonly socket?: SocketLike | null;
  readonly agent?: unknown;
  readonly host?: unknown;
  readonly protocol?: unknown;
  readonly upgradeOrConnect?: unknown;
  readonly method?: unknown;
  /** Whether the connection stays open after this request: the client's choice once sent, false after a server's `Connection: close`. */
  readonly shouldKeepAlive?: unknown;
  readonly destroyed?: unknown;
  readonly res?: { readonly complete?: unknown } | null;
  getHeader?(name: string): unknown;
}

/** The parts of `net.Socket` / `tls.TLSSocket` this package reads. */
export interface SocketLike extends EmitterLike<SocketLike> {
  readonly connecting?: unknown;
  readonly destroyed?: unknown;
  readonly encrypted?: unknown;
  readonly remoteAddress?: string;
  readonly errored?: unknown;
  /** True once the peer ended its side (a FIN). */
  readonly readableEnded?: unknown;
  /** Node's: true once a TLS socket's handshake completed. */
  readonly _secureEstablished?: unknown;
  /** Node's: for TLS started on an existing socket (a proxy tunnel), that socket. */
  readonly _parent?: object | null;
  /** Node's: the request the socket currently serves (null while idle in an agent). */
  readonly _httpMessage?: ClientRequestLike | null;
}

/**
 * Whether a request hands its new connection over instead of using it: a
 * CONNECT (the socket becomes a tunnel, counted once as the connection of
 * whatever runs through it) or a protocol upgrade. Asked only of requests on
 * connections not yet known, never per reuse.
 */
export function takesOver(request: ClientRequestLike): boolean {
  return request.method === 'CONNECT' || (typeof request.getHeader === 'function' && request.getHeader('upgrade') !== undefined);
}

export function isAgent(value: unknown): value is AgentLike {
  return typeof value === 'object' && value !== null;
}

/** The event after which a socket can carry its first request: TCP connect, or the TLS handshake. */
export function readyEvent(socket: SocketLike): 'connect' | 'secureConnect' {
  return socket.encrypted === true ? 'secureConnect' : 'connect';
}

/** Whether a socket is connected (and, for TLS, its handshake done). */
export function isReady(socket: SocketLike): boolean {
  if (socket.connecting === true || socket.destroyed === true) return false;
  return socket.encrypted !== true || socket._secureEstablished === true;
}

/**
 * The name of the agent list whose newest entry is `socket`: an agent pushes
 * a socket it just created (or handed out from its idle list) to the end of
 * `sockets[name]` before the request's constructor returns.
 */
export function nameOfNewest(lists: SocketLists | undefined, socket: object, likely?: string): string | undefined {
  if (!lists) return undefined;
  // The name that held the newest socket last time, tried first: an agent's lists are a dictionary, slow to enumerate.
  if (likely !== undefined && isNewestOf(lists[likely], socket)) return likely;
  for (const name in lists) {
    const list = lists[name];
    if (list && list.length > 0 && list[list.length - 1] === socket) return name;
  }
  return undefined;
}

function isNewestOf(list: readonly object[] | undefined, socket: object): boolean {
  return list !== undefined && list.length > 0 && list[list.length - 1] === socket;
}

/** The name of the agent list that holds `socket`, if any. */
export function nameHolding(lists: SocketLists | undefined, socket: object): string | undefined {
  if (!lists) return undefined;
  for (const name in lists) {
    if (lists[name]?.includes(socket)) return name;
  }
  return undefined;
}

/** The agent's name for the origin whose queue `request` just entered (the newest entry of a waiting list), if it did. */
export function queueOf(agent: AgentLike, request: object): string | undefined {
  return nameOfNewest(agent.requests, request);
}

/**
 * Whether one of these connections has finished its response and is only
 * waiting for Node to free it (a tick later): a request queued now gets it
 * without waiting for a connection.
 */
export function oneIsFinishing(sockets: readonly object[] | undefined): boolean {
  if (!sockets) return false;
  for (let i = 0; i < sockets.length; i += 1) {
    if ((sockets[i] as SocketLike)._httpMessage?.res?.complete === true) return true;
  }
  return false;
}

/** Calls `visit` for every socket in every list (an agent's idle connections, say). */
export function forEachSocket(lists: SocketLists | undefined, visit: (socket: object) => void): void {
  if (!lists) return;
  for (const name in lists) {
    const list = lists[name];
    if (list) for (let i = 0; i < list.length; i += 1) visit(list[i]!);
  }
}

/**
 * Why a ready connection closed, as `error.type`; undefined for a clean close.
 * The socket's own error if it has one; else, when it closed while serving a
 * request whose response had not ended, `ECONNRESET`: the code of the error
 * Node then gives the application ('socket hang up' before a response,
 * 'aborted' during one).
 */
export function closeErrorType(socket: SocketLike): string | undefined {
  if (socket.errored) return errorType(socket.errored);
  const request = socket._httpMessage;
  if (!request || request.upgradeOrConnect === true || request.res?.complete === true) return undefined;
  return 'ECONNRESET';
}

/*
 * What this package reads of Node's HTTP/2 client sessions and streams,
 * beyond their documented properties.
 */
import type { ClientHttp2Stream, Http2Session } from 'node:http2';

let socketSymbol: symbol | undefined;

/**
 * The socket under a session. `session.socket` is a Proxy, not the socket
 * that `net.client.socket` announced and that the shared socket timing
 * follows, so the session's own reference (Node's internal `socket` symbol,
 * unchanged since HTTP/2 landed and present in Node 22 and 24) is read
 * instead. If a Node release drops it, sessions are still counted; only their
 * DNS/TCP/TLS phases go unrecorded.
 */
export function sessionSocket(session: Http2Session): object | undefined {
  socketSymbol ??= Object.getOwnPropertySymbols(session).find((symbol) => symbol.description === 'socket');
  if (socketSymbol === undefined) return undefined;
  const socket = (session as unknown as Record<symbol, unknown>)[socketSymbol];
  return isEmitter(socket) ? socket : undefined;
}

/** The IP address a session is connected to, if it still has a socket. */
export function remoteAddressOf(session: Http2Session): string | undefined {
  try {
    const address = session.socket?.remoteAddress;
    return typeof address === 'string' ? address : undefined;
  } catch {
    return undefined; // the socket Proxy throws once the socket is detached
  }
}

/** Streams the server pushed have even ids; they are not requests of this client. */
export function isPushed(stream: ClientHttp2Stream): boolean {
  return typeof stream.id === 'number' && stream.id % 2 === 0;
}

/**
 * The error a session failed with, from the error one of its pending streams
 * was destroyed with: ERR_HTTP2_STREAM_CANCEL, whose `cause` is the session's
 * error (ECONNREFUSED, a certificate error). A stream destroyed for another
 * reason carries its own.
 */
export function sessionError(streamError: unknown): unknown {
  const { code, cause } = (streamError ?? {}) as { code?: unknown; cause?: unknown };
  return code === 'ERR_HTTP2_STREAM_CANCEL' && cause !== undefined ? cause : streamError;
}

/** Whether a value can be watched as a session (grpc-js hands its transport's session over untyped). */
export function isSession(value: unknown): value is Http2Session {
  return isEmitter(value) && typeof (value as Http2Session).removeListener === 'function';
}

function isEmitter(value: unknown): value is { once: (...args: never[]) => unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { once?: unknown }).once === 'function';
}

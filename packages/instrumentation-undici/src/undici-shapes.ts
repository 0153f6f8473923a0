/*
 * The parts of undici's objects this package reads (types only: undici is
 * never imported at run time), and small questions about them. The same
 * fields exist in undici 6, 7 and 8 and in the undici inside Node.
 */

/** A connection's socket: `net.Socket` or `tls.TLSSocket` (also the socket of a proxy tunnel). */
export interface UndiciSocket {
  readonly alpnProtocol?: string | false | null;
  readonly remoteAddress?: string;
  /** Bytes received so far: unchanged since a request was sent means no response began. */
  readonly bytesRead?: number;
  /** The error undici destroyed the socket with (undici always passes one, see close-reason.ts). */
  readonly errored?: unknown;
  once(event: 'close', listener: () => void): unknown;
  removeListener(event: 'close', listener: () => void): unknown;
}

/** undici's internal `Request` (the one its diagnostics channels publish). */
export interface UndiciRequest {
  readonly method?: unknown;
  /** The protocol asked for in an upgrade (`websocket`), else null. */
  readonly upgrade?: unknown;
  /** True when the client closes the connection after this request (`Connection: close`, `reset: true`). */
  readonly reset?: unknown;
  readonly origin?: unknown;
}

/**
 * Whether a request hands its connection over (CONNECT for a proxy tunnel, a
 * protocol upgrade): not a use of an HTTP connection.
 */
export function takesOver(request: UndiciRequest): boolean {
  return request.method === 'CONNECT' || (typeof request.upgrade === 'string' && request.upgrade.length > 0);
}

/** `network.protocol.version` of a connection. */
export function protocolVersion(socket: UndiciSocket): '2' | '1.1' {
  return socket.alpnProtocol === 'h2' ? '2' : '1.1';
}

/**
 * An undici field of a socket that undici keys by a private symbol, found by
 * the symbol's description (read only at a close, never per use).
 */
export function symbolField(socket: object, description: string): unknown {
  for (const symbol of Object.getOwnPropertySymbols(socket)) {
    if (symbol.description === description) return (socket as Record<symbol, unknown>)[symbol];
  }
  return undefined;
}

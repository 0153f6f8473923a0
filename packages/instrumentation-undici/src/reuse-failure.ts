/*
 * The keep-alive race: a request sent on a connection that had served others,
 * which the server had just closed, fails before any response with one of
 * these (undici's 'other side closed' SocketError, or the socket's own
 * reset/broken pipe). Timeouts and aborts are the server's slowness or the
 * application's choice, not a broken connection.
 */
const BROKEN_CONNECTION = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'ECONNABORTED']);

export function isBrokenConnection(error: unknown): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && BROKEN_CONNECTION.has(code);
}

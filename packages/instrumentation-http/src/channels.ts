/**
 * The diagnostics channels this package reads, each named once. Node's HTTP
 * client publishes the first three from `ClientRequest` (Node 22.12+ and 24);
 * `net.client.socket` announces every client socket as it starts connecting.
 */
export const HttpChannel = {
  /** A `ClientRequest` was constructed; its agent has just queued it or handed it a socket. */
  RequestCreated: 'http.client.request.created',
  /** The request was ended and handed to its socket: one use of a connection. */
  RequestStart: 'http.client.request.start',
  /** The request emitted 'error' (what the application sees). */
  RequestError: 'http.client.request.error',
  /** A client socket started connecting (net.connect, tls.connect). */
  ClientSocket: 'net.client.socket',
} as const;

export interface RequestMessage {
  request: object;
}

export interface RequestErrorMessage {
  request: object;
  error: unknown;
}

export interface ClientSocketMessage {
  socket: object;
}

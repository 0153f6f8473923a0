import type { ClientHttp2Stream, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';

/**
 * Node's HTTP/2 client diagnostics channels this package reads, each named
 * once. Node 22 and 24 publish all four for every client stream, whichever
 * library opened it (@grpc/grpc-js or node:http2 directly); there is no
 * session-level channel, so a session is learnt from its streams.
 *
 * - `created`: `session.request()` was called (before the session connected,
 *   if it is still connecting).
 * - `start`: the stream was sent on a connected session; it has its id.
 *   On a connected session `start` comes before `created`.
 * - `error`: the stream was destroyed with an error (`stream.session` is
 *   already unset).
 * - `close`: the stream closed.
 */
export const Http2Channel = {
  StreamCreated: 'http2.client.stream.created',
  StreamStart: 'http2.client.stream.start',
  StreamError: 'http2.client.stream.error',
  StreamClose: 'http2.client.stream.close',
} as const;

export interface StreamMessage {
  stream: ClientHttp2Stream;
  headers?: OutgoingHttpHeaders | IncomingHttpHeaders;
}

export interface StreamErrorMessage {
  stream: ClientHttp2Stream;
  error: unknown;
}

import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';

type Headers = OutgoingHttpHeaders | IncomingHttpHeaders | undefined;

/**
 * Whether a request is a gRPC call: gRPC requires `content-type:
 * application/grpc` (optionally `+proto`, `+json`, ...), whichever client
 * sends it; grpc-js also sends `user-agent: grpc-node-js/<version>`.
 */
export function isGrpcRequest(headers: Headers): boolean {
  const contentType = headers?.['content-type'];
  return typeof contentType === 'string' && /^application\/grpc(?:$|[+;])/i.test(contentType);
}

/** The `:authority` pseudo-header of a request. */
export function authorityOf(headers: Headers): string | undefined {
  const authority = headers?.[':authority'];
  return typeof authority === 'string' ? authority : undefined;
}

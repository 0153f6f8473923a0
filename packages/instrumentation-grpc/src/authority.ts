/*
 * Where a connection goes, as `server.address` and `server.port`: from the
 * `:authority` of its requests, or from a grpc-js channel target. Both are
 * `host[:port]` strings; for gRPC they are the same string (grpc-js sends the
 * target's authority), so a connection's attributes do not depend on which
 * hook saw it first.
 */
import { serverAddress, serverPort } from '@connmetrics/core';
import type { GrpcTarget } from './grpc-js-shapes';

export interface ServerEndpoint {
  readonly address: string | undefined;
  readonly port: number | undefined;
}

/** gRPC's default port, for targets without one (grpc-js uses it for TLS and plaintext alike). */
export const GRPC_DEFAULT_PORT = 443;

/** Splits `host`, `host:port`, `[v6]:port` or a bare IPv6 address. */
export function parseAuthority(value: unknown, defaultPort: number | undefined): ServerEndpoint {
  if (typeof value !== 'string' || value.length === 0) return { address: undefined, port: defaultPort };
  const authority = value.slice(value.lastIndexOf('@') + 1); // user info never becomes an attribute
  let host = authority;
  let port: string | undefined;
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    if (end !== -1 && authority[end + 1] === ':') port = authority.slice(end + 2);
  } else {
    const colon = authority.indexOf(':');
    if (colon !== -1 && colon === authority.lastIndexOf(':')) {
      host = authority.slice(0, colon);
      port = authority.slice(colon + 1);
    }
  }
  return { address: serverAddress(host), port: serverPort(port, defaultPort) };
}


/**
 * The authority of a grpc-js channel target, as grpc-js computes it for
 * `dns:`, `ipv4:` and `ipv6:` targets (the path, or its first address).
 * Undefined for other schemes (`unix:`), which have no host and port.
 */
export function grpcTargetAuthority(target: unknown): string | undefined {
  if (target === null || typeof target !== 'object') return undefined;
  const { scheme, path } = target as GrpcTarget;
  if (typeof path !== 'string') return undefined;
  if (scheme === undefined || scheme === 'dns') return path;
  if (scheme === 'ipv4' || scheme === 'ipv6') return path.split(',')[0];
  return undefined;
}

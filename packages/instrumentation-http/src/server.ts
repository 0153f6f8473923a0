/*
 * `server.address` and `server.port` of a request's connection, read once per
 * connection. The address is the host the request connects to. Node keeps no
 * port on the request, so the port comes from the agent's name for the
 * connection's origin (`host:port:...`, built from the same options as the
 * socket), else from the Host header Node derived from those options, else
 * the scheme's default.
 */
import { defaultPortOf, serverAddress, serverPort } from '@connmetrics/core';
import { isAgent, nameHolding, type ClientRequestLike, type SocketLike } from './http-shapes';

export interface ServerIdentity {
  readonly address: string | undefined;
  readonly port: number | undefined;
}

/**
 * The identities found from a host and its agent's name for the origin (a
 * pure function of both), so that each new connection of a known origin
 * normalises nothing. Bounded: the table starts over when full.
 */
const MAX_IDENTITIES = 1024;
let identities = new Map<string, Map<string, ServerIdentity>>();
let identityCount = 0;

function remember(host: string, name: string, identity: ServerIdentity): ServerIdentity {
  if (identityCount >= MAX_IDENTITIES) {
    identities = new Map();
    identityCount = 0;
  }
  let byName = identities.get(host);
  if (byName === undefined) identities.set(host, (byName = new Map()));
  byName.set(name, identity);
  identityCount += 1;
  return identity;
}

/**
 * @param poolName the agent's name for the socket's origin, when the caller
 *   already found it; otherwise the agent's lists are searched for the socket
 */
export function serverOf(request: ClientRequestLike, socket: SocketLike, poolName?: string): ServerIdentity {
  const host = typeof request.host === 'string' ? request.host : undefined;
  const agent = isAgent(request.agent) ? request.agent : undefined;
  const name = poolName ?? nameHolding(agent?.sockets, socket);
  if (host !== undefined && name !== undefined) {
    const known = identities.get(host)?.get(name);
    if (known !== undefined) return known;
    const port = portInPoolName(name, host);
    if (port !== undefined) return remember(host, name, { address: serverAddress(host), port });
  }
  const port =
    portInHostHeader(request, host) ??
    serverPort(agent?.defaultPort) ??
    defaultPortOf(typeof request.protocol === 'string' ? request.protocol : undefined);
  return { address: serverAddress(host), port };
}

/** `host:port:localAddress[:family][:tls options]` → port, when the name starts with the request's host. */
function portInPoolName(name: string, host: string | undefined): number | undefined {
  if (host === undefined || name.length <= host.length || !name.startsWith(host) || name[host.length] !== ':') {
    return undefined;
  }
  const start = host.length + 1;
  const end = name.indexOf(':', start);
  return serverPort(end === -1 ? name.slice(start) : name.slice(start, end));
}

/** The port of the Host header, when the header names the host the request connects to. */
function portInHostHeader(request: ClientRequestLike, host: string | undefined): number | undefined {
  const header = typeof request.getHeader === 'function' ? request.getHeader('host') : undefined;
  if (typeof header !== 'string' || host === undefined) return undefined;
  let headerHost = header;
  let port: string | undefined;
  const close = header.startsWith('[') ? header.indexOf(']') : -1;
  const colon = header.indexOf(':', close === -1 ? 0 : close);
  if (colon !== -1 && (close !== -1 || header.indexOf(':', colon + 1) === -1)) {
    headerHost = header.slice(0, colon);
    port = header.slice(colon + 1);
  }
  if (serverAddress(headerHost) !== serverAddress(host)) return undefined;
  return port === undefined ? undefined : serverPort(port);
}

/*
 * Which instrumentation counts a connection. Some connections are visible to
 * two of them: undici speaks HTTP/2 through node:http2 over its own socket, so
 * the grpc/http2 instrumentation sees undici's sessions too. The library that
 * opened the socket marks it; the others leave marked sockets alone. Shared by
 * every copy of core in the process, like the socket phases.
 */
interface OwnerRegistry {
  readonly owners: WeakMap<object, string>;
}

const REGISTRY = Symbol.for('connmetrics.core.connection-owners.v1');

function registry(): OwnerRegistry {
  const holder = globalThis as { [REGISTRY]?: OwnerRegistry };
  return (holder[REGISTRY] ??= { owners: new WeakMap() });
}

/** Marks a socket as counted by `owner` (the first mark wins). */
export function markConnectionOwner(socket: object, owner: string): void {
  const { owners } = registry();
  if (!owners.has(socket)) owners.set(socket, owner);
}

/** The instrumentation that counts this socket, if one marked it. */
export function connectionOwner(socket: object): string | undefined {
  return registry().owners.get(socket);
}

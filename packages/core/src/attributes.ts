/*
 * Attribute normalisation. Every value that reaches an attribute passes one of
 * these functions, so nothing from a URL beyond host and port, and nothing
 * from an error beyond its short code, can leak into a metric.
 */
import { ERROR_TYPE_OTHER } from './semconv';

const ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;
const ERROR_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/**
 * `error.type` for anything thrown or emitted: the error's short code
 * (`ECONNREFUSED`, `ENOTFOUND`, `CERT_HAS_EXPIRED`, SQLSTATE `28P01`), else its
 * class name when it is more than a plain `Error`, else `_OTHER`. Never a message.
 */
export function errorType(error: unknown): string {
  if (error === null || typeof error !== 'object') return ERROR_TYPE_OTHER;
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && ERROR_CODE.test(code)) return code;
  if (typeof code === 'number' && Number.isInteger(code)) return String(code);
  if (typeof name === 'string' && name !== 'Error' && ERROR_NAME.test(name)) return name;
  return ERROR_TYPE_OTHER;
}

/**
 * `server.address` as a bare host name: lower case, without IPv6 brackets,
 * user info, port, path or trailing dot. Returns undefined when the input
 * holds no usable host.
 */
export function serverAddress(host: unknown): string | undefined {
  if (typeof host !== 'string' || host.length === 0) return undefined;
  let value = host.trim();
  const at = value.lastIndexOf('@');
  if (at !== -1) value = value.slice(at + 1);
  const slash = value.search(/[/?#]/);
  if (slash !== -1) value = value.slice(0, slash);
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    value = end === -1 ? value.slice(1) : value.slice(1, end);
  } else if (value.indexOf(':') !== -1 && value.indexOf(':') === value.lastIndexOf(':')) {
    value = value.slice(0, value.indexOf(':')); // host:port
  }
  value = value.toLowerCase();
  if (value.endsWith('.')) value = value.slice(0, -1);
  return value.length > 0 && value.length <= 255 ? value : undefined;
}

/** `server.port` as an integer, or the protocol's default port, or undefined. */
export function serverPort(port: unknown, defaultPort?: number): number | undefined {
  const value = typeof port === 'string' && port !== '' ? Number(port) : port;
  if (typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= 65535) return value;
  return defaultPort;
}

/** The default port of a URL scheme (`http:` or `http`), if it has one. */
export function defaultPortOf(protocol: string | undefined): number | undefined {
  switch (protocol?.replace(/:$/, '').toLowerCase()) {
    case 'http':
    case 'ws':
      return 80;
    case 'https':
    case 'wss':
      return 443;
    default:
      return undefined;
  }
}

/** `tls.protocol.version` as the conventions spell it: `TLSv1.3` becomes `1.3`. */
export function tlsProtocolVersion(protocol: string | null | undefined): string | undefined {
  if (!protocol) return undefined;
  const match = /^TLSv(\d(?:\.\d)?)$/.exec(protocol);
  return match ? match[1] : protocol.toLowerCase();
}

/**
 * The canonical key of an attribute set, for grouping: the same set gives the
 * same key whatever order it was built in (names sorted), and values of
 * different types never collide (port `443` and `'443'` are two series, as
 * the SDK keeps them). Undefined values are left out (no exporter sends them).
 */
export function attributesKey(attributes: Readonly<Record<string, unknown>>): string {
  const names = Object.keys(attributes);
  sortNames(names);
  let key = '';
  for (const name of names) {
    const value = attributes[name];
    if (value === undefined) continue;
    key += `${name}\u0000${typeof value === 'object' ? JSON.stringify(value) : `${typeof value}:${String(value)}`}\u0001`;
  }
  return key;
}

/**
 * Sorts attribute names in place, as `Array.prototype.sort()` would: an
 * insertion sort, since V8's sort allocates its merge state (about 700 bytes)
 * on every call, which is most of what a key of a few names costs.
 */
function sortNames(names: string[]): void {
  for (let i = 1; i < names.length; i += 1) {
    const name = names[i]!;
    let j = i - 1;
    while (j >= 0 && names[j]! > name) {
      names[j + 1] = names[j]!;
      j -= 1;
    }
    names[j + 1] = name;
  }
}

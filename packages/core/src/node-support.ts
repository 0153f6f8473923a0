/*
 * Which Node.js releases publish the built-in diagnostics channels the
 * packages read. Whether a channel exists cannot be asked at run time
 * (`diagnostics_channel.hasChannel()` and `hasSubscribers` only tell whether
 * someone subscribed), so this is a table: for each channel, the first
 * release of each Node line that publishes it, checked against the Node
 * binaries of the npm registry. A channel missing from the table is a
 * library's own (undici's, ioredis's) and depends on the library's version,
 * which the protocol package checks itself.
 */

/** A release: [major, minor, patch]. */
type Release = readonly [number, number, number];

/** The oldest Node.js release the packages run on: what @opentelemetry/instrumentation and sdk-metrics 0.30x / 3.x require. */
export const MINIMUM_NODE: Release = [22, 15, 0];

/** The http2 client channels landed together: 22.17.0 and 24.2.0 (24.1.0 has created and start only). */
const HTTP2_CLIENT_STREAM: Readonly<Record<number, Release>> = { 22: [22, 17, 0], 24: [24, 2, 0] };

/** Built-in channel → the first release of each line that publishes it; lines after the last listed have it. */
const NODE_CHANNELS: Readonly<Record<string, Readonly<Record<number, Release>>>> = {
  'net.client.socket': { 22: [22, 0, 0] },
  'http.client.request.created': { 22: [22, 12, 0] },
  'http.client.request.start': { 22: [22, 0, 0] },
  'http.client.request.error': { 22: [22, 6, 0] },
  'http.client.response.finish': { 22: [22, 0, 0] },
  'http2.client.stream.created': HTTP2_CLIENT_STREAM,
  'http2.client.stream.start': HTTP2_CLIENT_STREAM,
  'http2.client.stream.error': HTTP2_CLIENT_STREAM,
  'http2.client.stream.finish': HTTP2_CLIENT_STREAM,
  'http2.client.stream.close': HTTP2_CLIENT_STREAM,
};

function parse(version: string): Release {
  const [major = 0, minor = 0, patch = 0] = version.replace(/^v/, '').split('.').map((part) => Number.parseInt(part, 10) || 0);
  return [major, minor, patch];
}

function before(a: Release, b: Release): boolean {
  for (let index = 0; index < 3; index += 1) if (a[index] !== b[index]) return a[index]! < b[index]!;
  return false;
}

function format(release: Release): string {
  return release.join('.');
}

/** The first release of `version`'s line (or of a later line) that publishes `channel`, when `version` predates it. */
function introducedAfter(channel: string, version: Release): Release | undefined {
  const lines = NODE_CHANNELS[channel];
  if (!lines) return undefined;
  const majors = Object.keys(lines).map(Number).sort((a, b) => a - b);
  // The line itself, else the nearest earlier line listed (whose first release decides), else the first listed.
  const line = majors.filter((major) => major <= version[0]).pop();
  if (line === undefined) return lines[majors[0]!];
  const since = lines[line]!;
  if (line === version[0]) return before(version, since) ? since : undefined;
  // A line between listed ones (23 between 22 and 24): it has what the next listed line had at .0.
  const next = majors.find((major) => major > version[0]);
  if (next !== undefined && before([next, 0, 0], lines[next]!)) return lines[next];
  return undefined;
}

/**
 * What this Node.js lacks for the given channels, as sentences for one
 * warning: the release below the packages' minimum, and each built-in
 * channel the release does not publish, with the release that added it.
 * Empty when everything is there.
 */
export function missingNodeSupport(channels: Iterable<string>, nodeVersion: string = process.versions.node): string[] {
  const version = parse(nodeVersion);
  const problems: string[] = [];
  if (before(version, MINIMUM_NODE)) problems.push(`Node.js ${format(version)} is older than ${format(MINIMUM_NODE)}, the oldest release supported`);
  const missing = new Map<string, string[]>();
  for (const channel of channels) {
    const since = introducedAfter(channel, version);
    if (!since) continue;
    const key = format(since);
    missing.set(key, [...(missing.get(key) ?? []), channel]);
  }
  for (const [since, names] of missing) problems.push(`Node.js ${format(version)} does not publish ${names.join(', ')} (added in ${since})`);
  return problems;
}

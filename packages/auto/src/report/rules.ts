/*
 * The report's rules: each reads one row (one client, one server or pool) and
 * either says nothing or gives a finding: what the numbers show and the fix
 * in the words of that client. The thresholds are constants here and in the
 * README's table; every rule is tested on its own.
 */
import { clientWords } from './clients';
import type { RowData } from './collect';
import { countAbove, countAtMost, percentile, type HistogramSummary } from './histogram';
import { seconds } from './units';

/** Reuse below this share of uses is "no reuse". */
export const NO_REUSE_MAX_RATIO = 0.2;
/** Fewer connections than this prove nothing about reuse. */
export const NO_REUSE_MIN_CONNECTIONS = 3;
/** An idle close by the server after more than this (s) is its idle timeout; sooner, it closed right after a use. */
export const SERVER_IDLE_MIN_SECONDS = 0.01;
/** Server idle closes matter from this share of the connections created. */
export const SERVER_IDLE_MIN_SHARE = 0.05;
/**
 * A use waited for a connection when its queue or pool wait exceeds this (s), or
 * WAIT_SETUP_FACTOR times the p99 of setting a connection up, when longer: a use that opens a
 * new connection waits for it by design (plus whatever else the process does meanwhile), and
 * that is not a shortage of connections.
 */
export const WAIT_MIN_SECONDS = 0.01;
export const WAIT_SETUP_FACTOR = 4;
/** Fewer waits than this are chance (a GC pause, a busy event loop), not a shortage of connections. */
export const WAIT_MIN_COUNT = 3;
/** Waits matter from this share of the uses that recorded a wait. */
export const WAIT_MIN_SHARE = 0.05;

export type RuleId = 'no_reuse' | 'server_idle_timeout' | 'reuse_failures' | 'waits' | 'connect_failures';

export interface Finding {
  readonly rule: RuleId;
  /** What the numbers show. */
  readonly verdict: string;
  /** What to change, in the words of the client; absent when there is nothing to change on the client. */
  readonly fix?: string;
}

/** Bucket boundaries of the wait histograms (SETUP_DURATION_BUCKETS): thresholds are rounded up to one, so counts stay exact. */
function boundaryAtLeast(histogram: HistogramSummary, value: number): number {
  return histogram.boundaries.find((boundary) => boundary >= value) ?? value;
}

/** Numbers several rules and the formatter share. */
export interface Measures {
  readonly uses: number;
  readonly reuseRatio: number | undefined;
  /** Closed connections that served exactly one use. */
  readonly closedAfterOneUse: number;
  readonly closed: number;
  /** Server closes of connections idle for more than SERVER_IDLE_MIN_SECONDS. */
  readonly serverIdleCloses: number;
  /** Median idle time before a server close, of those. */
  readonly serverIdleMedian: number | undefined;
  /** The longest idle time before the client's own idle timeout closed a connection. */
  readonly clientIdleMax: number | undefined;
  /** The wait histogram of the row (HTTP queue or pool wait), the threshold used and how many waited longer. */
  readonly wait: { readonly histogram: HistogramSummary; readonly threshold: number; readonly waited: number };
}

export function measure(row: RowData): Measures {
  const uses = row.created + row.reused;
  const serverIdle = row.idleTimeByReason['server_closed'];
  const clientIdle = row.idleTimeByReason['idle_timeout'];
  const histogram = row.poolWait.count > 0 ? row.poolWait : row.queue;
  // A use that opens a connection waits for its setup (DNS, TCP, TLS; for databases the whole
  // handshake, create_time): that is not a shortage of connections.
  const sockets = (percentile(row.dns, 0.99) ?? 0) + (percentile(row.connect, 0.99) ?? 0) + (percentile(row.tls, 0.99) ?? 0);
  const setup = Math.max(sockets, percentile(row.poolCreate, 0.99) ?? 0);
  const threshold = boundaryAtLeast(histogram, Math.max(WAIT_MIN_SECONDS, WAIT_SETUP_FACTOR * setup));
  const serverIdleCloses = serverIdle ? countAbove(serverIdle, SERVER_IDLE_MIN_SECONDS) : 0;
  return {
    uses,
    reuseRatio: uses > 0 ? row.reused / uses : undefined,
    closedAfterOneUse: countAtMost(row.usesPerConnection, 1),
    closed: Object.values(row.closedByReason).reduce((total, count) => total + count, 0),
    serverIdleCloses,
    serverIdleMedian: serverIdle && serverIdleCloses > 0 ? percentile(serverIdle, 0.5) : undefined,
    clientIdleMax: clientIdle && clientIdle.count > 0 ? clientIdle.max : undefined,
    wait: { histogram, threshold, waited: countAbove(histogram, threshold) },
  };
}

function byType(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort(([, a], [, b]) => b - a)
    .map(([type, count]) => (Object.keys(counts).length > 1 ? `${type} ${count}` : type))
    .join(', ');
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

type Rule = (row: RowData, measures: Measures) => Finding | undefined;

/** Server closes of idle connections: explains missing reuse better than the client does. */
function serverIdleRuleApplies(row: RowData, m: Measures): boolean {
  return m.serverIdleCloses >= 1 && m.serverIdleCloses >= SERVER_IDLE_MIN_SHARE * row.created;
}

/**
 * no_reuse: at least NO_REUSE_MIN_CONNECTIONS connections, reuse below
 * NO_REUSE_MAX_RATIO of uses, and not explained by the server closing idle
 * connections (server_idle_timeout covers that).
 */
export const noReuse: Rule = (row, m) => {
  if (row.created < NO_REUSE_MIN_CONNECTIONS || m.reuseRatio === undefined || m.reuseRatio >= NO_REUSE_MAX_RATIO) return undefined;
  if (serverIdleRuleApplies(row, m) && m.serverIdleCloses * 2 >= row.created) return undefined;
  const words = clientWords(row.client);
  const server = row.closedByReason['server_closed'] ?? 0;
  const client = (row.closedByReason['client_closed'] ?? 0) + (row.closedByReason['idle_timeout'] ?? 0);
  const errors = row.closedByReason['error'] ?? 0;
  // Of the connections whose uses are known (those seen from their start) that closed.
  const closedKnown = row.usesPerConnection.count;
  const oneUse =
    closedKnown > 0 && m.closedAfterOneUse === closedKnown
      ? ', each closed after 1 use'
      : m.closedAfterOneUse > 0
        ? `, ${m.closedAfterOneUse} of the ${closedKnown} closed after 1 use`
        : '';
  const most = Math.max(server, client, errors);
  const by =
    m.closed === 0 || most === 0
      ? ''
      : most === client
        ? ` (by the client: ${client} of ${m.closed})`
        : most === server
          ? ` (by the server: ${server} of ${m.closed})`
          : ` (by an error: ${errors} of ${m.closed})`;
  const verdict = `no reuse: ${plural(m.uses, 'use')}, ${plural(row.created, 'connection')}${oneUse}${by}`;
  if (most === server && server > client) {
    // The client may have asked for it (keep-alive off sends `Connection: close`): both sides are named.
    return {
      rule: 'no_reuse',
      verdict,
      fix: `${words.share}; if it already does, the server ends each connection after its use (\`Connection: close\`, a per-connection request limit): enable keep-alive on the server`,
    };
  }
  return { rule: 'no_reuse', verdict, fix: words.share };
};

/**
 * server_idle_timeout: the server closed connections that had been idle for
 * more than SERVER_IDLE_MIN_SECONDS, at least once and for at least
 * SERVER_IDLE_MIN_SHARE of the connections created.
 */
export const serverIdleTimeout: Rule = (row, m) => {
  if (!serverIdleRuleApplies(row, m)) return undefined;
  const limit = seconds(m.serverIdleMedian);
  const keeps = m.clientIdleMax !== undefined ? `keeps them up to ${seconds(m.clientIdleMax)}` : 'keeps them longer';
  return {
    rule: 'server_idle_timeout',
    verdict: `the server closes idle connections after ≈ ${limit} (${plural(m.serverIdleCloses, 'time')}) while this client ${keeps}`,
    fix: clientWords(row.client).idleTimeout(limit),
  };
};

/** reuse_failures: at least one use failed on a reused connection that broke before any response. */
export const reuseFailures: Rule = (row, m) => {
  if (row.reuseFailed < 1) return undefined;
  const words = clientWords(row.client);
  const same = serverIdleRuleApplies(row, m) ? 'the same fix' : words.idleTimeout("the server's idle timeout");
  return {
    rule: 'reuse_failures',
    verdict: `${plural(row.reuseFailed, 'use')} failed on reused connections the server had just closed (${byType(row.reuseFailedByType)})`,
    fix: `${same}, or retry idempotent requests`,
  };
};

/**
 * waits: uses waited longer than the threshold (WAIT_MIN_SECONDS, or WAIT_SETUP_FACTOR
 * times the p99 of DNS + connect + TLS, or of create_time, when that is longer), at least WAIT_MIN_COUNT
 * times and for WAIT_MIN_SHARE of the recorded waits, or the pool timed out.
 */
export const waits: Rule = (row, m) => {
  const { histogram, waited } = m.wait;
  const enough = waited >= WAIT_MIN_COUNT && waited >= WAIT_MIN_SHARE * histogram.count;
  if (!enough && row.poolTimeouts < 1) return undefined;
  const timeouts = row.poolTimeouts > 0 ? `, ${plural(row.poolTimeouts, 'timeout')}` : '';
  return {
    rule: 'waits',
    verdict: `uses waited for a connection (p99 ${seconds(percentile(histogram, 0.99))}, ${waited} of ${histogram.count} over ${seconds(m.wait.threshold)}${timeouts})`,
    fix: clientWords(row.client).raise,
  };
};

/** connect_failures: connection attempts that never became ready. */
export const connectFailures: Rule = (row) => {
  if (row.failed < 1) return undefined;
  return {
    rule: 'connect_failures',
    verdict: `${plural(row.failed, 'connection attempt')} failed (${byType(row.failedByType)})`,
    fix: 'check the address, the server and the credentials; error.type says which failed',
  };
};

/** In the order the report lists them. */
export const RULES: readonly Rule[] = [noReuse, serverIdleTimeout, reuseFailures, waits, connectFailures];

/** Every finding for a row; an empty list means "ok". */
export function findings(row: RowData, measures: Measures = measure(row)): Finding[] {
  const found: Finding[] = [];
  for (const rule of RULES) {
    const finding = rule(row, measures);
    if (finding) found.push(finding);
  }
  return found;
}

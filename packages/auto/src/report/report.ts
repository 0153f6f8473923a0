/*
 * connectionReport(): what the instrumentations recorded, per client and
 * server or pool, with the verdicts of the rules. Reads only report readers
 * (see reader.ts); never throws.
 */
import { RowCollector, type RowData } from './collect';
import { percentile, type HistogramSummary } from './histogram';
import { registeredReportReaders, type ConnectionReportReader } from './reader';
import { findings, measure, type Finding } from './rules';

export interface Percentiles {
  /** Recordings. */
  readonly count: number;
  /** Seconds; absent when nothing was recorded. */
  readonly p50?: number;
  readonly p99?: number;
}

export interface ConnectionReportRow {
  /** `network.protocol.name`: http, postgresql, redis, grpc, mysql. */
  readonly protocol: string;
  /** The instrumentation that recorded the row. */
  readonly client: string;
  /** `server.address:server.port`, or the pool name. */
  readonly target: string;
  /** Connections created + uses served by a reused one. */
  readonly uses: number;
  readonly created: number;
  readonly reused: number;
  /** reused ÷ uses; absent without uses. */
  readonly reuseRatio?: number;
  readonly failed: number;
  readonly failedByType: Readonly<Record<string, number>>;
  readonly reuseFailed: number;
  readonly reuseFailedByType: Readonly<Record<string, number>>;
  /** By `connmetrics.connection.close.reason`. */
  readonly closedByReason: Readonly<Record<string, number>>;
  /** Of the connections that closed: how many, and how many served exactly one use. */
  readonly closedConnections: { readonly count: number; readonly afterOneUse: number };
  /** Idle time before a server close (`connmetrics.connection.idle_time`, reason server_closed). */
  readonly idleBeforeServerClose: Percentiles;
  readonly connect: Percentiles;
  readonly tls: Percentiles;
  readonly dns: Percentiles;
  /** `http.client.request.time_in_queue` or `db.client.connection.wait_time`. */
  readonly wait: Percentiles & { readonly metric?: string; readonly waited: number; readonly threshold: number };
  readonly findings: readonly Finding[];
  /** The findings' verdicts and fixes in one line, or "ok". */
  readonly verdict: string;
}

export interface ConnectionReport {
  /** ISO time of the report. */
  readonly time: string;
  readonly rows: readonly ConnectionReportRow[];
  /** Why the report may be incomplete (no reader attached, a collection failed). */
  readonly notes: readonly string[];
}

export interface ConnectionReportOptions {
  /** The readers to read; by default every report reader of the process. */
  readonly readers?: readonly ConnectionReportReader[];
}

function percentiles(histogram: HistogramSummary): Percentiles {
  const p50 = percentile(histogram, 0.5);
  const p99 = percentile(histogram, 0.99);
  return { count: histogram.count, ...(p50 === undefined ? {} : { p50 }), ...(p99 === undefined ? {} : { p99 }) };
}

export function verdictOf(found: readonly Finding[]): string {
  if (found.length === 0) return 'ok';
  return found.map((finding) => (finding.fix ? `${finding.verdict} — ${finding.fix}` : finding.verdict)).join('; ');
}

export function reportRow(row: RowData): ConnectionReportRow {
  const m = measure(row);
  const found = findings(row, m);
  const serverIdle = row.idleTimeByReason['server_closed'];
  const waitMetric = row.poolWait.count > 0 ? 'db.client.connection.wait_time' : row.queue.count > 0 ? 'http.client.request.time_in_queue' : undefined;
  return {
    protocol: row.protocol,
    client: row.client,
    target: row.target,
    uses: m.uses,
    created: row.created,
    reused: row.reused,
    ...(m.reuseRatio === undefined ? {} : { reuseRatio: m.reuseRatio }),
    failed: row.failed,
    failedByType: row.failedByType,
    reuseFailed: row.reuseFailed,
    reuseFailedByType: row.reuseFailedByType,
    closedByReason: row.closedByReason,
    closedConnections: { count: row.usesPerConnection.count, afterOneUse: m.closedAfterOneUse },
    idleBeforeServerClose: serverIdle ? percentiles(serverIdle) : { count: 0 },
    connect: percentiles(row.connect),
    tls: percentiles(row.tls),
    dns: percentiles(row.dns),
    wait: { ...percentiles(m.wait.histogram), ...(waitMetric ? { metric: waitMetric } : {}), waited: m.wait.waited, threshold: m.wait.threshold },
    findings: found,
    verdict: verdictOf(found),
  };
}

/** Builds the report from rows already collected (for tests and for readers of other copies). */
export function reportOf(rows: readonly RowData[], notes: readonly string[] = [], time = new Date()): ConnectionReport {
  return { time: time.toISOString(), rows: rows.map(reportRow), notes };
}

/**
 * The reuse report: per client and server (or pool), uses, connections
 * created, reuse ratio, failures, closes by reason, idle time before server
 * closes, setup and wait percentiles, and a verdict with its fix. Reads the
 * report readers (`connectionReportReader()`, or the one zero-code mode adds
 * when `CONNMETRICS_REPORT` is set). Never rejects.
 */
export async function connectionReport(options: ConnectionReportOptions = {}): Promise<ConnectionReport> {
  const notes: string[] = [];
  const collector = new RowCollector();
  try {
    const readers = options.readers ?? registeredReportReaders();
    let read = 0;
    for (const reader of readers) {
      const snapshot = await reader.snapshot();
      if (!snapshot) continue;
      collector.add(snapshot);
      read += 1;
    }
    if (read === 0) {
      notes.push(
        readers.length === 0
          ? 'no report reader: add connectionReportReader() to the readers of the MeterProvider the instrumentations record to (zero-code: set CONNMETRICS_REPORT)'
          : 'the report reader is not attached to a MeterProvider yet',
      );
    }
    return reportOf(collector.result(), notes);
  } catch (error) {
    notes.push(`the report could not be made: ${error instanceof Error ? error.message : String(error)}`);
    return { time: new Date().toISOString(), rows: [], notes };
  }
}

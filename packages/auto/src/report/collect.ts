/*
 * From what a MetricReader collected to one row per client and server (or
 * pool): the sums and histograms the rules read. Only connmetrics' own
 * instruments are read, by name, from the scopes of the connmetrics
 * instrumentations; every other metric is ignored.
 */
import type { Attributes } from '@opentelemetry/api';
import { DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import {
  ATTR_CONNECTION_CLOSE_REASON,
  ATTR_DB_CLIENT_CONNECTION_POOL_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  METRIC_CONNECTION_CLOSED,
  METRIC_CONNECTION_CONNECT_DURATION,
  METRIC_CONNECTION_CREATED,
  METRIC_CONNECTION_FAILED,
  METRIC_CONNECTION_IDLE_TIME,
  METRIC_CONNECTION_REUSED,
  METRIC_CONNECTION_REUSE_FAILED,
  METRIC_CONNECTION_USES,
  METRIC_DB_CLIENT_CONNECTION_CREATE_TIME,
  METRIC_DB_CLIENT_CONNECTION_TIMEOUTS,
  METRIC_DB_CLIENT_CONNECTION_WAIT_TIME,
  METRIC_DNS_LOOKUP_DURATION,
  METRIC_HTTP_CLIENT_REQUEST_TIME_IN_QUEUE,
  METRIC_TLS_HANDSHAKE_DURATION,
} from '@connmetrics/core';
import { emptyHistogram, mergeHistogram, type HistogramSummary, type HistogramValue } from './histogram';

/** Everything the report knows about one client talking to one server or pool. */
export interface RowData {
  /** The instrumentation scope that recorded it, e.g. `@connmetrics/instrumentation-undici`. */
  client: string;
  /** `network.protocol.name` (for pool-only points, derived from `db.system.name`). */
  protocol: string;
  /** `server.address:server.port`, or the pool name for pooled database connections. */
  target: string;
  created: number;
  reused: number;
  failed: number;
  failedByType: Record<string, number>;
  reuseFailed: number;
  reuseFailedByType: Record<string, number>;
  closedByReason: Record<string, number>;
  /** Uses per connection, of the connections that closed. */
  usesPerConnection: HistogramSummary;
  /** Idle time before close, by close reason. */
  idleTimeByReason: Record<string, HistogramSummary>;
  connect: HistogramSummary;
  tls: HistogramSummary;
  dns: HistogramSummary;
  /** `http.client.request.time_in_queue` */
  queue: HistogramSummary;
  /** `db.client.connection.wait_time` */
  poolWait: HistogramSummary;
  /** `db.client.connection.create_time` (TCP, TLS and the protocol handshake) */
  poolCreate: HistogramSummary;
  /** `db.client.connection.timeouts` */
  poolTimeouts: number;
}

const COUNTERS = new Set([
  METRIC_CONNECTION_CREATED,
  METRIC_CONNECTION_REUSED,
  METRIC_CONNECTION_FAILED,
  METRIC_CONNECTION_CLOSED,
  METRIC_CONNECTION_REUSE_FAILED,
  METRIC_DB_CLIENT_CONNECTION_TIMEOUTS,
]);

const HISTOGRAMS = new Set([
  METRIC_CONNECTION_USES,
  METRIC_CONNECTION_IDLE_TIME,
  METRIC_CONNECTION_CONNECT_DURATION,
  METRIC_TLS_HANDSHAKE_DURATION,
  METRIC_DNS_LOOKUP_DURATION,
  METRIC_HTTP_CLIENT_REQUEST_TIME_IN_QUEUE,
  METRIC_DB_CLIENT_CONNECTION_WAIT_TIME,
  METRIC_DB_CLIENT_CONNECTION_CREATE_TIME,
]);

const DB_SYSTEM_PROTOCOLS: Readonly<Record<string, string>> = {
  postgresql: 'postgresql',
  mysql: 'mysql',
  mariadb: 'mysql',
  redis: 'redis',
};

/** The row a data point belongs to: the pool when there is one, else the server. */
export function targetOf(attributes: Attributes): string | undefined {
  const pool = attributes[ATTR_DB_CLIENT_CONNECTION_POOL_NAME];
  if (pool !== undefined) return String(pool);
  const address = attributes[ATTR_SERVER_ADDRESS];
  if (address === undefined) return undefined;
  const port = attributes[ATTR_SERVER_PORT];
  return port === undefined ? String(address) : `${String(address)}:${String(port)}`;
}

function protocolOf(attributes: Attributes): string | undefined {
  const protocol = attributes[ATTR_NETWORK_PROTOCOL_NAME];
  if (protocol !== undefined) return String(protocol);
  const system = attributes[ATTR_DB_SYSTEM_NAME];
  return system === undefined ? undefined : (DB_SYSTEM_PROTOCOLS[String(system)] ?? String(system));
}

function newRow(client: string, target: string): RowData {
  return {
    client,
    protocol: '',
    target,
    created: 0,
    reused: 0,
    failed: 0,
    failedByType: {},
    reuseFailed: 0,
    reuseFailedByType: {},
    closedByReason: {},
    usesPerConnection: emptyHistogram(),
    idleTimeByReason: {},
    connect: emptyHistogram(),
    tls: emptyHistogram(),
    dns: emptyHistogram(),
    queue: emptyHistogram(),
    poolWait: emptyHistogram(),
    poolCreate: emptyHistogram(),
    poolTimeouts: 0,
  };
}

function addTo(record: Record<string, number>, key: string, value: number): void {
  record[key] = (record[key] ?? 0) + value;
}

function addCounter(row: RowData, name: string, value: number, attributes: Attributes): void {
  const errorType = attributes[ATTR_ERROR_TYPE] === undefined ? undefined : String(attributes[ATTR_ERROR_TYPE]);
  switch (name) {
    case METRIC_CONNECTION_CREATED:
      row.created += value;
      return;
    case METRIC_CONNECTION_REUSED:
      row.reused += value;
      return;
    case METRIC_CONNECTION_FAILED:
      row.failed += value;
      addTo(row.failedByType, errorType ?? '_OTHER', value);
      return;
    case METRIC_CONNECTION_CLOSED:
      addTo(row.closedByReason, String(attributes[ATTR_CONNECTION_CLOSE_REASON] ?? 'unknown'), value);
      return;
    case METRIC_CONNECTION_REUSE_FAILED:
      row.reuseFailed += value;
      addTo(row.reuseFailedByType, errorType ?? '_OTHER', value);
      return;
    case METRIC_DB_CLIENT_CONNECTION_TIMEOUTS:
      row.poolTimeouts += value;
      return;
  }
}

function histogramOf(row: RowData, name: string, attributes: Attributes): HistogramSummary | undefined {
  switch (name) {
    case METRIC_CONNECTION_USES:
      return row.usesPerConnection;
    case METRIC_CONNECTION_IDLE_TIME: {
      const reason = String(attributes[ATTR_CONNECTION_CLOSE_REASON] ?? 'unknown');
      return (row.idleTimeByReason[reason] ??= emptyHistogram());
    }
    case METRIC_CONNECTION_CONNECT_DURATION:
      return row.connect;
    case METRIC_TLS_HANDSHAKE_DURATION:
      return row.tls;
    case METRIC_DNS_LOOKUP_DURATION:
      return row.dns;
    case METRIC_HTTP_CLIENT_REQUEST_TIME_IN_QUEUE:
      return row.queue;
    case METRIC_DB_CLIENT_CONNECTION_WAIT_TIME:
      return row.poolWait;
    case METRIC_DB_CLIENT_CONNECTION_CREATE_TIME:
      return row.poolCreate;
    default:
      return undefined;
  }
}

/** Rows keyed by client and target, built up over one or more collections. */
export class RowCollector {
  private readonly rows = new Map<string, RowData>();

  add(resourceMetrics: ResourceMetrics): this {
    for (const scope of resourceMetrics.scopeMetrics) {
      if (!scope.scope.name.startsWith('@connmetrics/')) continue;
      for (const metric of scope.metrics) this.addMetric(scope.scope.name, metric);
    }
    return this;
  }

  private addMetric(client: string, metric: MetricData): void {
    const name = metric.descriptor.name;
    const counter = COUNTERS.has(name) && metric.dataPointType === DataPointType.SUM;
    const histogram = HISTOGRAMS.has(name) && metric.dataPointType === DataPointType.HISTOGRAM;
    if (!counter && !histogram) return;
    for (const point of metric.dataPoints) {
      const target = targetOf(point.attributes);
      if (target === undefined) continue;
      const row = this.rowOf(client, target);
      row.protocol ||= protocolOf(point.attributes) ?? '';
      if (counter) addCounter(row, name, point.value as number, point.attributes);
      else {
        const into = histogramOf(row, name, point.attributes);
        if (into) mergeHistogram(into, point.value as HistogramValue);
      }
    }
  }

  private rowOf(client: string, target: string): RowData {
    const key = `${client}\u0000${target}`;
    let row = this.rows.get(key);
    if (!row) this.rows.set(key, (row = newRow(client, target)));
    return row;
  }

  /** Rows that saw any connection activity, by protocol, client and target. */
  result(): RowData[] {
    return [...this.rows.values()]
      .filter((row) => row.created + row.reused + row.failed > 0 || Object.keys(row.closedByReason).length > 0)
      .sort((a, b) => a.protocol.localeCompare(b.protocol) || a.client.localeCompare(b.client) || a.target.localeCompare(b.target));
  }
}

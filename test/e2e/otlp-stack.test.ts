/*
 * examples/otlp-stack cannot run here (no Docker), so its parts are checked
 * against what they depend on:
 * - every file the compose file mounts exists;
 * - every query of the Grafana dashboard is valid PromQL for a real
 *   Prometheus, and every metric it reads is one that connmetrics' instruments
 *   become after the Collector's Prometheus exporter names them (dots to
 *   underscores, `_total` on counters, the unit `s` as `_seconds`, units in
 *   braces dropped, histograms as `_bucket`/`_sum`/`_count`);
 * - the dashboard shows what the issue asks: reuse ratio per server, created
 *   vs reused, DNS/TCP/TLS p50 and p99, pool used/idle/pending and wait time,
 *   and why connections are not reused: closes by reason, uses per
 *   connection, idle time before close, reuse failures.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Meter, MetricOptions } from '@opentelemetry/api';
import { createConnectionInstruments, createDbConnectionInstruments, createHttpConnectionInstruments } from '../../packages/core';
import { startPrometheus, type PrometheusServer } from '../harness';
import { ROOT } from './env';

const STACK = join(ROOT, 'examples', 'otlp-stack');

interface Target {
  expr: string;
  refId: string;
}
interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: Target[];
}
const dashboard = JSON.parse(readFileSync(join(STACK, 'grafana', 'dashboards', 'connmetrics.json'), 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; query: { query: string } }> };
};
const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
const expressions = panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));

/** Grafana's variables, replaced as Grafana would for "All" and a typical range. */
function concrete(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__range', '1h')
    .replaceAll('$service', '.*')
    .replaceAll('$server', '.*');
}

type Kind = 'counter' | 'updown' | 'histogram' | 'gauge';

/** The instruments core creates for every protocol, recorded by name, kind and unit. */
function connmetricsInstruments(): Array<{ name: string; kind: Kind; unit: string }> {
  const seen: Array<{ name: string; kind: Kind; unit: string }> = [];
  const record = (kind: Kind) => (name: string, options?: MetricOptions) => {
    seen.push({ name, kind, unit: options?.unit ?? '' });
    return {} as never;
  };
  const meter = {
    createCounter: record('counter'),
    createUpDownCounter: record('updown'),
    createHistogram: record('histogram'),
    createGauge: record('gauge'),
    createObservableCounter: record('counter'),
    createObservableUpDownCounter: record('updown'),
    createObservableGauge: record('gauge'),
    addBatchObservableCallback: () => {},
    removeBatchObservableCallback: () => {},
  } as unknown as Meter;
  createConnectionInstruments(meter);
  createHttpConnectionInstruments(meter);
  createDbConnectionInstruments(meter);
  return seen;
}

/** The series names the Collector's Prometheus exporter gives an instrument. */
function prometheusNames({ name, kind, unit }: { name: string; kind: Kind; unit: string }): string[] {
  let base = name.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/__+/g, '_');
  if (unit === 's' && !base.endsWith('_seconds')) base += '_seconds';
  else if (unit !== '' && !unit.startsWith('{') && unit !== '1') throw new Error(`unit ${unit} of ${name} is not handled here`);
  switch (kind) {
    case 'counter':
      return [`${base}_total`];
    case 'histogram':
      return [`${base}_bucket`, `${base}_sum`, `${base}_count`];
    default:
      return [base];
  }
}

let prometheus: PrometheusServer;

beforeAll(async () => {
  prometheus = await startPrometheus({ targets: [] });
});

afterAll(async () => {
  await prometheus.close();
});

test('every file the compose file mounts exists', () => {
  const compose = readFileSync(join(STACK, 'compose.yaml'), 'utf8');
  const mounts = [...compose.matchAll(/^\s+- (\.\/[^:]+):/gm)].map((match) => match[1]!);
  expect(mounts).toEqual([
    './otel-collector.yaml',
    './prometheus.yaml',
    './grafana/provisioning',
    './grafana/dashboards',
  ]);
  for (const mount of mounts) expect({ mount, exists: existsSync(join(STACK, mount)) }).toEqual({ mount, exists: true });
  // The dashboards provider and the datasource the panels use are provisioned.
  expect(readFileSync(join(STACK, 'grafana', 'provisioning', 'dashboards', 'connmetrics.yaml'), 'utf8')).toContain('path: /var/lib/grafana/dashboards');
  expect(readFileSync(join(STACK, 'grafana', 'provisioning', 'datasources', 'prometheus.yaml'), 'utf8')).toContain('uid: prometheus');
  expect(new Set(panels.map((panel) => panel.datasource?.uid))).toEqual(new Set(['prometheus']));
  // The Collector listens for OTLP on the ports the compose file publishes, and Prometheus scrapes its exporter.
  const collector = readFileSync(join(STACK, 'otel-collector.yaml'), 'utf8');
  expect(collector).toContain('endpoint: 0.0.0.0:4317');
  expect(collector).toContain('endpoint: 0.0.0.0:4318');
  expect(collector).toContain('endpoint: 0.0.0.0:8889');
  expect(readFileSync(join(STACK, 'prometheus.yaml'), 'utf8')).toContain('otel-collector:8889');
});

test('every dashboard query is valid PromQL for a real Prometheus', async () => {
  const queries = [...expressions.map(({ expr }) => expr), ...dashboard.templating.list.map((variable) => variable.query.query)];
  expect(queries.length).toBeGreaterThan(20);
  await expect(prometheus.query('sum by (le (rate(x[1m]))')).rejects.toThrow(/parse error/); // the check can fail
  for (const query of queries) {
    if (query.startsWith('label_values(')) {
      // Grafana's own function; its argument is a selector.
      const selector = query.slice('label_values('.length, query.lastIndexOf(','));
      await expect(prometheus.query(concrete(selector))).resolves.toBeDefined();
      continue;
    }
    await expect(prometheus.query(concrete(query))).resolves.toBeDefined();
  }
});

test('every metric the dashboard reads is one connmetrics emits, as the Collector names it', () => {
  const emitted = new Set(connmetricsInstruments().flatMap(prometheusNames));
  expect(emitted).toContain('connmetrics_connection_created_total');
  expect(emitted).toContain('dns_lookup_duration_seconds_bucket');
  expect(emitted).toContain('db_client_connection_count');
  const used = new Set(
    [...expressions.map(({ expr }) => expr), ...dashboard.templating.list.map((variable) => variable.query.query)].flatMap((expr) =>
      // Metric names are the ones followed by a selector; the rest are labels.
      [...expr.matchAll(/\b((?:connmetrics|dns|http_client|db_client)_[a-z_]+)\{/g)].map((match) => match[1]!),
    ),
  );
  expect(used.size).toBeGreaterThan(10);
  for (const name of used) expect({ name, emitted: emitted.has(name) }).toEqual({ name, emitted: true });
});

test('the dashboard shows reuse ratio, created vs reused, DNS/TCP/TLS p50 and p99, and the pools', () => {
  const exprsOf = (title: string) => {
    const panel = panels.find((candidate) => candidate.title === title);
    if (!panel) throw new Error(`no panel "${title}"`);
    return (panel.targets ?? []).map((target) => target.expr);
  };
  const ratio = exprsOf('Reuse ratio per server')[0]!;
  expect(ratio).toContain('connmetrics_connection_reused_total');
  expect(ratio).toContain('connmetrics_connection_created_total');
  expect(ratio).toContain('sum by (server_address, server_port)');
  expect(exprsOf('Connections created vs reused, per second')).toHaveLength(2);
  for (const [title, metric] of [
    ['DNS lookup p50 / p99', 'dns_lookup_duration_seconds_bucket'],
    ['TCP connect p50 / p99', 'connmetrics_connection_connect_duration_seconds_bucket'],
    ['TLS handshake p50 / p99', 'connmetrics_tls_handshake_duration_seconds_bucket'],
    ['Wait time for a pool connection p50 / p99', 'db_client_connection_wait_time_seconds_bucket'],
  ] as const) {
    const exprs = exprsOf(title);
    expect(exprs.map((expr) => expr.match(/^histogram_quantile\((0\.\d+),/)?.[1])).toEqual(['0.5', '0.99']);
    for (const expr of exprs) expect(expr).toContain(metric);
  }
  expect(exprsOf('Pool connections: used, idle and max')[0]).toContain('sum by (db_client_connection_pool_name, db_client_connection_state) (db_client_connection_count');
  expect(exprsOf('Requests waiting for a pool connection')[0]).toContain('db_client_connection_pending_requests');
});

test('the dashboard shows why connections are not reused: close reasons, uses per connection, idle time, reuse failures', () => {
  const exprsOf = (title: string) => {
    const panel = panels.find((candidate) => candidate.title === title);
    if (!panel) throw new Error(`no panel "${title}"`);
    return (panel.targets ?? []).map((target) => target.expr);
  };
  expect(exprsOf('Connections closed by reason, per second')).toEqual([
    expect.stringContaining('sum by (server_address, server_port, connmetrics_connection_close_reason) (rate(connmetrics_connection_closed_total{'),
  ]);
  for (const [title, metric, by] of [
    ['Uses per connection p50 / p99, at close', 'connmetrics_connection_uses_bucket', 'le, server_address, server_port'],
    ['Idle time before close p50 / p99, by reason', 'connmetrics_connection_idle_time_seconds_bucket', 'le, server_address, server_port, connmetrics_connection_close_reason'],
  ] as const) {
    const exprs = exprsOf(title);
    expect(exprs.map((expr) => expr.match(/^histogram_quantile\((0\.\d+),/)?.[1])).toEqual(['0.5', '0.99']);
    for (const expr of exprs) expect(expr).toContain(`sum by (${by}) (rate(${metric}{`);
  }
  expect(exprsOf('Reuse failures per second (keep-alive race)')).toEqual([
    expect.stringContaining('sum by (server_address, server_port, error_type) (rate(connmetrics_connection_reuse_failed_total{'),
  ]);
});

/*
 * The environment variables, read in-process: values, defaults, and exactly
 * one warning for each unusable one.
 */
import { DiagLogLevel } from '@opentelemetry/api';
import { EnvReader } from '../src/env';
import { readSettings, DEFAULT_OTLP_GRPC_URL, DEFAULT_OTLP_HTTP_METRICS_URL } from '../src/settings';

function read(env: Record<string, string>) {
  const warnings: Array<{ variable: string; message: string }> = [];
  const reader = new EnvReader(env, (variable, message) => warnings.push({ variable, message }));
  return { settings: readSettings(env, reader), warnings };
}

test('no variables: OTLP over http/protobuf every minute, Prometheus port 9464, every detector, no warning', () => {
  expect(read({})).toEqual({
    settings: {
      sdkDisabled: false,
      exporters: ['otlp'],
      otlp: { protocol: 'http/protobuf' },
      exportIntervalMillis: 60_000,
      exportTimeoutMillis: 30_000,
      prometheusPort: 9464,
      resourceDetectors: ['env', 'host', 'os', 'process', 'serviceinstance'],
    },
    warnings: [],
  });
});

test('usable values are taken as given', () => {
  const { settings, warnings } = read({
    OTEL_METRICS_EXPORTER: 'Prometheus, console',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
    OTEL_METRIC_EXPORT_INTERVAL: '5000',
    OTEL_METRIC_EXPORT_TIMEOUT: '2000',
    OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: '9999',
    OTEL_SDK_DISABLED: 'FALSE',
    OTEL_LOG_LEVEL: 'debug',
    OTEL_NODE_RESOURCE_DETECTORS: 'host,process',
    OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-tenant=a=b',
    OTEL_RESOURCE_ATTRIBUTES: 'team=platform,empty=',
  });
  expect(warnings).toEqual([]);
  expect(settings).toEqual({
    sdkDisabled: false,
    logLevel: DiagLogLevel.DEBUG,
    exporters: ['prometheus', 'console'],
    otlp: { protocol: 'http/json' },
    exportIntervalMillis: 5000,
    exportTimeoutMillis: 2000,
    prometheusHost: '127.0.0.1',
    prometheusPort: 9999,
    resourceDetectors: ['host', 'process'],
  });
});

test('the export timeout never exceeds the interval', () => {
  expect(read({ OTEL_METRIC_EXPORT_INTERVAL: '1000' }).settings.exportTimeoutMillis).toBe(1000);
});

test('"none" exports nothing, whatever else is listed', () => {
  expect(read({ OTEL_METRICS_EXPORTER: 'otlp,none' })).toMatchObject({ settings: { exporters: [] }, warnings: [] });
});

test('an unknown exporter beside known ones is dropped with a warning', () => {
  const { settings, warnings } = read({ OTEL_METRICS_EXPORTER: 'prometheus,zipkin' });
  expect(settings.exporters).toEqual(['prometheus']);
  expect(warnings).toEqual([
    {
      variable: 'OTEL_METRICS_EXPORTER',
      message: 'OTEL_METRICS_EXPORTER: unknown exporter "zipkin" (expected otlp, prometheus, console or none); using prometheus.',
    },
  ]);
});

test('an unusable signal protocol falls back to the general one', () => {
  const { settings, warnings } = read({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'udp' });
  expect(settings.otlp.protocol).toBe('grpc');
  expect(warnings.map((warning) => warning.message)).toEqual([
    'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "udp" is not supported (expected http/protobuf, http/json or grpc); using grpc.',
  ]);
});

test.each([
  // [variables, protocol, expected override, warned variable]
  [{ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://collector:4318/v1/metrics' }, 'http/protobuf', undefined, undefined],
  [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4318' }, 'http/protobuf', undefined, undefined],
  [{ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'collector:4318' }, 'http/protobuf', DEFAULT_OTLP_HTTP_METRICS_URL, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'],
  [
    { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'ftp://collector', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' },
    'http/protobuf',
    'http://collector:4318/v1/metrics',
    'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  ],
  [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://' }, 'grpc', DEFAULT_OTLP_GRPC_URL, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
  [{ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: '::', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317' }, 'grpc', 'http://collector:4317', 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'],
] as const)('endpoint %j over %s', (endpoints, protocol, override, warned) => {
  const { settings, warnings } = read({ ...endpoints, OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: protocol });
  expect(settings.otlp.urlOverride).toBe(override);
  expect(warnings.map((warning) => warning.variable)).toEqual(warned ? [warned] : []);
});

test('every unusable value gives one warning with the default used instead', () => {
  const { settings, warnings } = read({
    OTEL_SDK_DISABLED: 'yes',
    OTEL_LOG_LEVEL: 'loud',
    OTEL_METRICS_EXPORTER: 'statsd',
    OTEL_METRIC_EXPORT_INTERVAL: '0',
    OTEL_METRIC_EXPORT_TIMEOUT: '2.5',
    OTEL_EXPORTER_PROMETHEUS_PORT: '70000',
    OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: 'ten',
    OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd',
    OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'whatever',
    OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'ok=1,=nokey,bad%ZZ=1',
    OTEL_NODE_RESOURCE_DETECTORS: 'aws',
  });
  expect(settings).toEqual({
    sdkDisabled: false,
    logLevel: DiagLogLevel.INFO,
    exporters: ['otlp'],
    otlp: { protocol: 'http/protobuf' },
    exportIntervalMillis: 60_000,
    exportTimeoutMillis: 30_000,
    prometheusPort: 9464,
    resourceDetectors: [],
  });
  expect(warnings.map((warning) => warning.message)).toEqual([
    'OTEL_METRIC_EXPORT_INTERVAL: "0" is not a whole number of at least 1; using 60000.',
    'OTEL_METRIC_EXPORT_TIMEOUT: "2.5" is not a whole number of at least 1; using 30000.',
    'OTEL_LOG_LEVEL: "loud" is not a log level (expected none, error, warn, info, debug, verbose or all); using info.',
    'OTEL_SDK_DISABLED: "yes" is not true or false; using false.',
    'OTEL_METRICS_EXPORTER: unknown exporter "statsd" (expected otlp, prometheus, console or none); using otlp.',
    'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: "ten" is not a whole number of at least 1; ignored (OTEL_EXPORTER_OTLP_TIMEOUT or the default 10000 applies).',
    'OTEL_EXPORTER_OTLP_COMPRESSION: "zstd" is not supported (expected none or gzip); using none.',
    'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "whatever" is not supported (expected cumulative, delta or lowmemory); using cumulative.',
    'OTEL_EXPORTER_OTLP_METRICS_HEADERS: header entries 2 and 3 are not key=value with percent-encoded key and value; ignored.',
    'OTEL_EXPORTER_PROMETHEUS_PORT: "70000" is not a whole number from 1 to 65535; using 9464.',
    'OTEL_NODE_RESOURCE_DETECTORS: unknown detector "aws" ignored (expected env, host, os, process, serviceinstance, all or none).',
  ]);
});

test('OTEL_SDK_DISABLED=true is read in any case', () => {
  expect(read({ OTEL_SDK_DISABLED: 'True' }).settings.sdkDisabled).toBe(true);
});

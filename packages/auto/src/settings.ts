/*
 * The standard OpenTelemetry environment variables that shape the metrics
 * pipeline, read and validated in one place. Every unusable value gives one
 * warning and the default the specification gives for it.
 */
import { DiagLogLevel } from '@opentelemetry/api';
import { EnvReader, listOf, type Environment } from './env';

export const METRICS_EXPORTERS = ['otlp', 'prometheus', 'console', 'none'] as const;
export type MetricsExporterName = Exclude<(typeof METRICS_EXPORTERS)[number], 'none'>;

export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** Names OTEL_NODE_RESOURCE_DETECTORS accepts besides all and none; env (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) always applies. */
export const RESOURCE_DETECTORS = ['env', 'host', 'os', 'process', 'serviceinstance'] as const;
export type ResourceDetectorName = (typeof RESOURCE_DETECTORS)[number];

const LOG_LEVELS: Readonly<Record<string, DiagLogLevel>> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

export const DEFAULT_EXPORT_INTERVAL_MILLIS = 60_000;
export const DEFAULT_EXPORT_TIMEOUT_MILLIS = 30_000;
export const DEFAULT_PROMETHEUS_PORT = 9464;
export const DEFAULT_OTLP_HTTP_METRICS_URL = 'http://localhost:4318/v1/metrics';
export const DEFAULT_OTLP_GRPC_URL = 'http://localhost:4317';

export interface OtlpSettings {
  readonly protocol: OtlpProtocol;
  /**
   * Set only when the endpoint variables hold an unusable URL: the exporter is
   * then given the default explicitly. Otherwise the exporter reads the
   * endpoint, headers, timeout, compression and certificates itself.
   */
  readonly urlOverride?: string;
}

export interface Settings {
  /** OTEL_SDK_DISABLED */
  readonly sdkDisabled: boolean;
  /** OTEL_LOG_LEVEL, when set */
  readonly logLevel?: DiagLogLevel;
  /** OTEL_METRICS_EXPORTER; empty for `none` */
  readonly exporters: readonly MetricsExporterName[];
  readonly otlp: OtlpSettings;
  /** OTEL_METRIC_EXPORT_INTERVAL */
  readonly exportIntervalMillis: number;
  /** OTEL_METRIC_EXPORT_TIMEOUT, at most the interval */
  readonly exportTimeoutMillis: number;
  /** OTEL_EXPORTER_PROMETHEUS_HOST, when set (else every interface) */
  readonly prometheusHost?: string;
  /** OTEL_EXPORTER_PROMETHEUS_PORT */
  readonly prometheusPort: number;
  /** OTEL_NODE_RESOURCE_DETECTORS */
  readonly resourceDetectors: readonly ResourceDetectorName[];
}

export function readSettings(env: Environment, reader = new EnvReader(env)): Settings {
  const exportIntervalMillis = reader.integer('OTEL_METRIC_EXPORT_INTERVAL', DEFAULT_EXPORT_INTERVAL_MILLIS, 1);
  const exportTimeoutMillis = Math.min(
    reader.integer('OTEL_METRIC_EXPORT_TIMEOUT', DEFAULT_EXPORT_TIMEOUT_MILLIS, 1),
    exportIntervalMillis,
  );
  const prometheusHost = reader.string('OTEL_EXPORTER_PROMETHEUS_HOST');
  const logLevel = readLogLevel(reader);
  return {
    sdkDisabled: reader.boolean('OTEL_SDK_DISABLED', false),
    ...(logLevel === undefined ? {} : { logLevel }),
    exporters: readExporters(reader),
    otlp: readOtlp(reader),
    exportIntervalMillis,
    exportTimeoutMillis,
    ...(prometheusHost === undefined ? {} : { prometheusHost }),
    prometheusPort: reader.integer('OTEL_EXPORTER_PROMETHEUS_PORT', DEFAULT_PROMETHEUS_PORT, 1, 65_535),
    resourceDetectors: readResourceDetectors(reader),
  };
}

function readLogLevel(reader: EnvReader): DiagLogLevel | undefined {
  const raw = reader.string('OTEL_LOG_LEVEL');
  if (raw === undefined) return undefined;
  const level = LOG_LEVELS[raw.toLowerCase()];
  if (level === undefined) {
    reader.invalid('OTEL_LOG_LEVEL', `"${raw}" is not a log level (expected ${listOf(Object.keys(LOG_LEVELS))}); using info.`);
    return DiagLogLevel.INFO;
  }
  return level;
}

function readExporters(reader: EnvReader): MetricsExporterName[] {
  const names = reader.list('OTEL_METRICS_EXPORTER');
  if (names === undefined) return ['otlp'];
  const unknown = names.filter((name) => !(METRICS_EXPORTERS as readonly string[]).includes(name));
  const known = names.filter((name) => (METRICS_EXPORTERS as readonly string[]).includes(name));
  if (known.includes('none')) {
    if (unknown.length > 0) reader.invalid('OTEL_METRICS_EXPORTER', `unknown exporter ${listOf(unknown.map(quote))} ignored; "none" exports nothing.`);
    return [];
  }
  if (unknown.length === 0) return known as MetricsExporterName[];
  const fallback = known.length > 0 ? (known as MetricsExporterName[]) : ['otlp' as const];
  reader.invalid(
    'OTEL_METRICS_EXPORTER',
    `unknown exporter ${listOf(unknown.map(quote))} (expected ${listOf(METRICS_EXPORTERS)}); using ${fallback.join(', ')}.`,
  );
  return fallback;
}

function readOtlp(reader: EnvReader): OtlpSettings {
  // The signal's own variable wins; when it is unusable the general one applies, then the default.
  const general = reader.choice('OTEL_EXPORTER_OTLP_PROTOCOL', OTLP_PROTOCOLS, 'http/protobuf');
  const protocol = reader.choice('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', OTLP_PROTOCOLS, general);
  checkOtlpExporterVariables(reader);
  const urlOverride = unusableEndpoint(reader, protocol);
  return urlOverride === undefined ? { protocol } : { protocol, urlOverride };
}

/**
 * Checks the endpoint variables the exporter will read; returns the URL to
 * pass explicitly when the one that applies is unusable (the next usable one,
 * else the default). The exporters accept some unusable URLs silently
 * (`localhost:4318` parses as a URL with scheme `localhost:`) and the gRPC one
 * throws on others.
 */
function unusableEndpoint(reader: EnvReader, protocol: OtlpProtocol): string | undefined {
  const specific = reader.string('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
  const generic = reader.string('OTEL_EXPORTER_OTLP_ENDPOINT');
  const genericUsable = generic !== undefined && isHttpUrl(generic);
  const fallback = genericUsable
    ? protocol === 'grpc'
      ? generic
      : `${generic.replace(/\/+$/, '')}/v1/metrics`
    : protocol === 'grpc'
      ? DEFAULT_OTLP_GRPC_URL
      : DEFAULT_OTLP_HTTP_METRICS_URL;
  if (specific !== undefined) {
    if (isHttpUrl(specific)) return undefined;
    reader.invalid('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', `"${specific}" is not an http:// or https:// URL; using ${fallback}.`);
    return fallback;
  }
  if (generic === undefined || genericUsable) return undefined;
  reader.invalid('OTEL_EXPORTER_OTLP_ENDPOINT', `"${generic}" is not an http:// or https:// URL; using ${fallback}.`);
  return fallback;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Variables the OTLP exporter reads itself and ignores silently when wrong: warn about them here. */
function checkOtlpExporterVariables(reader: EnvReader): void {
  const ignored = (general: string, fallback: string) => `ignored (${general} or the default ${fallback} applies)`;
  reader.integer('OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', 10_000, 1, undefined, ignored('OTEL_EXPORTER_OTLP_TIMEOUT', '10000'));
  reader.integer('OTEL_EXPORTER_OTLP_TIMEOUT', 10_000, 1);
  reader.choice('OTEL_EXPORTER_OTLP_METRICS_COMPRESSION', ['none', 'gzip'], 'none', ignored('OTEL_EXPORTER_OTLP_COMPRESSION', 'none'));
  reader.choice('OTEL_EXPORTER_OTLP_COMPRESSION', ['none', 'gzip'], 'none');
  reader.choice('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', ['cumulative', 'delta', 'lowmemory'], 'cumulative');
  checkKeyValueList(reader, 'OTEL_EXPORTER_OTLP_METRICS_HEADERS', 'header', 'ignored');
  checkKeyValueList(reader, 'OTEL_EXPORTER_OTLP_HEADERS', 'header', 'ignored');
}

export interface KeyValueRules {
  /** Values may themselves contain `=` (headers) or must have it percent-encoded (resource attributes). */
  readonly equalsInValue: boolean;
  readonly emptyValue: boolean;
  readonly maxLength?: number;
}

const HEADER_RULES: KeyValueRules = { equalsInValue: true, emptyValue: false };

/**
 * Checks a `key=value,key=value` list (percent-encoded). Returns false when an
 * entry is unusable. Values are never repeated in the warning: headers carry
 * credentials.
 */
export function checkKeyValueList(
  reader: EnvReader,
  variable: string,
  what: string,
  consequence: string,
  rules: KeyValueRules = HEADER_RULES,
): boolean {
  const raw = reader.string(variable);
  if (raw === undefined) return true;
  const bad: number[] = [];
  raw.split(',').forEach((entry, index) => {
    if (entry.trim() === '') return;
    const parts = entry.split('=');
    const key = parts[0]!.trim();
    const value = parts.slice(1).join('=').trim();
    const usable =
      parts.length >= 2 &&
      (rules.equalsInValue || parts.length === 2) &&
      key !== '' &&
      (rules.emptyValue || value !== '') &&
      decodes(key) &&
      decodes(value) &&
      (rules.maxLength === undefined || (decodeURIComponent(key).length <= rules.maxLength && decodeURIComponent(value).length <= rules.maxLength));
    if (!usable) bad.push(index + 1);
  });
  if (bad.length === 0) return true;
  reader.invalid(
    variable,
    `${what} entr${bad.length === 1 ? 'y' : 'ies'} ${listOf(bad.map(String), 'and')} ` +
      `${bad.length === 1 ? 'is' : 'are'} not key=value with percent-encoded key and value; ${consequence}.`,
  );
  return false;
}

function decodes(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

function readResourceDetectors(reader: EnvReader): ResourceDetectorName[] {
  const names = reader.list('OTEL_NODE_RESOURCE_DETECTORS');
  if (names === undefined || names.includes('all')) return [...RESOURCE_DETECTORS];
  if (names.includes('none')) return [];
  const known = names.filter((name): name is ResourceDetectorName => (RESOURCE_DETECTORS as readonly string[]).includes(name));
  const unknown = names.filter((name) => !known.includes(name as ResourceDetectorName));
  if (unknown.length > 0) {
    reader.invalid(
      'OTEL_NODE_RESOURCE_DETECTORS',
      `unknown detector ${listOf(unknown.map(quote))} ignored (expected ${listOf([...RESOURCE_DETECTORS, 'all', 'none'])}).`,
    );
  }
  return known;
}

function quote(text: string): string {
  return `"${text}"`;
}

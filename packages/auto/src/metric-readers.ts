/*
 * The metric readers that OTEL_METRICS_EXPORTER asks for: OTLP (over
 * http/protobuf, http/json or gRPC) and console, exported periodically;
 * Prometheus, scraped. A reader that cannot be created is reported once and
 * left out.
 */
import { PeriodicExportingMetricReader, ConsoleMetricExporter, type MetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { MetricsExporterName, OtlpSettings, Settings } from './settings';
import { warnOnce } from './warnings';

/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * Loads an exporter package the settings ask for. Only the default
 * (OTLP over http/protobuf) is a dependency; the others are optional peer
 * dependencies, so an application installs only the one it uses: a missing
 * one leaves the reader out with a warning naming the package to install.
 */
function exporterPackage<T>(name: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if ((code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && String((error as Error).message).includes(name)) {
      throw new Error(`${name} is not installed; install it beside @connmetrics/auto (npm install ${name})`);
    }
    throw error;
  }
}

/** The OTLP exporter of a protocol, loaded only when used (the gRPC one pulls in @grpc/grpc-js). */
function otlpExporter({ protocol, urlOverride }: OtlpSettings, timeoutMillis: number): PushMetricExporter {
  // The exporter must give up (retries included) within the reader's export timeout: otherwise
  // its retry timers outlive the export, hold the event loop, and a finished application whose
  // collector is down never exits.
  const config = urlOverride === undefined ? { timeoutMillis } : { url: urlOverride, timeoutMillis };
  switch (protocol) {
    case 'grpc': {
      const { OTLPMetricExporter } = exporterPackage(
        '@opentelemetry/exporter-metrics-otlp-grpc',
        () => require('@opentelemetry/exporter-metrics-otlp-grpc') as typeof import('@opentelemetry/exporter-metrics-otlp-grpc'),
      );
      return new OTLPMetricExporter(config);
    }
    case 'http/json': {
      const { OTLPMetricExporter } = exporterPackage(
        '@opentelemetry/exporter-metrics-otlp-http',
        () => require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http'),
      );
      return new OTLPMetricExporter(config);
    }
    case 'http/protobuf': {
      const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-proto') as typeof import('@opentelemetry/exporter-metrics-otlp-proto');
      return new OTLPMetricExporter(config);
    }
  }
}

function prometheusReader(settings: Settings): MetricReader {
  const { PrometheusExporter } = exporterPackage(
    '@opentelemetry/exporter-prometheus',
    () => require('@opentelemetry/exporter-prometheus') as typeof import('@opentelemetry/exporter-prometheus'),
  );
  const host = settings.prometheusHost;
  const port = settings.prometheusPort;
  const exporter = new PrometheusExporter({ ...(host === undefined ? {} : { host }), port }, (error) => {
    if (error) {
      const code = (error as NodeJS.ErrnoException).code ?? error.message;
      warnOnce('prometheus-listen', `connmetrics: the Prometheus exporter cannot listen on ${host ?? 'localhost'}:${port} (${code}); metrics are not served.`);
    }
  });
  // The exporter packages pin their own patch release of sdk-metrics; the
  // reader contract is the same across them, only the private fields differ.
  return exporter as unknown as MetricReader;
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** The OTLP exporter's own timeout (its variables, default 10 s), capped by the reader's export timeout. */
function otlpTimeoutMillis(settings: Settings, env: NodeJS.ProcessEnv = process.env): number {
  const positive = (value: string | undefined) => {
    const parsed = Number(value);
    return value !== undefined && Number.isInteger(parsed) && parsed > 0 ? parsed : undefined;
  };
  const own = positive(env.OTEL_EXPORTER_OTLP_METRICS_TIMEOUT) ?? positive(env.OTEL_EXPORTER_OTLP_TIMEOUT) ?? 10_000;
  return Math.min(own, settings.exportTimeoutMillis);
}

function periodic(settings: Settings, exporter: PushMetricExporter): MetricReader {
  return new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: settings.exportIntervalMillis,
    exportTimeoutMillis: settings.exportTimeoutMillis,
  });
}

function createReader(name: MetricsExporterName, settings: Settings): MetricReader {
  switch (name) {
    case 'otlp':
      return periodic(settings, otlpExporter(settings.otlp, otlpTimeoutMillis(settings)));
    case 'console':
      return periodic(settings, new ConsoleMetricExporter());
    case 'prometheus':
      return prometheusReader(settings);
  }
}

export function createMetricReaders(settings: Settings): MetricReader[] {
  const readers: MetricReader[] = [];
  for (const name of settings.exporters) {
    try {
      readers.push(createReader(name, settings));
    } catch (error) {
      warnOnce(`exporter:${name}`, `connmetrics: the ${name} metric exporter could not be created and is left out: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return readers;
}

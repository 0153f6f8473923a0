/*
 * What `@connmetrics/auto/register` does: creates every connmetrics
 * instrumentation and gives it a metrics pipeline.
 *
 * - If an OpenTelemetry SDK has registered a global MeterProvider, the
 *   instrumentations join it: no second pipeline.
 * - Otherwise connmetrics starts its own MeterProvider with the readers the
 *   standard environment variables ask for. If an SDK registers a global
 *   provider later (loaded after us), the instrumentations move to it and
 *   connmetrics' own pipeline shuts down after a last export of what it holds.
 * - The last export runs on normal exit and on SIGTERM/SIGINT (see exit.ts).
 * - CONNMETRICS_REPORT adds the reuse report's reader to the own pipeline
 *   (creating one if no exporter is asked for) and prints the report just
 *   before that last export, and on SIGUSR2 (see report/zero-code.ts).
 *
 * Nothing here throws into the application: a bad environment variable gives
 * one warning and its default, and any failure leaves the application
 * running without connection metrics, with a warning that says why.
 */
import { DiagConsoleLogger, diag, type MeterProvider } from '@opentelemetry/api';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { MeterProvider as SdkMeterProvider } from '@opentelemetry/sdk-metrics';
import { EnvReader, type Environment } from './env';
import { exportOnExit, type ExitHooks } from './exit';
import { registeredMeterProvider, watchMeterProviderRegistration } from './global-meter-provider';
import { createInstrumentations } from './instrumentations';
import { createMetricReaders } from './metric-readers';
import { createResource } from './resource';
import { readSettings } from './settings';
import { reportDestination, startZeroCodeReport } from './report/zero-code';
import { reportSetupWarnings } from './setup-warnings';
import { warnOnce } from './warnings';

/** How long the last export on exit may hold the process up. */
export const EXIT_EXPORT_TIMEOUT_MILLIS = 5_000;

/**
 * - `own`: connmetrics' own MeterProvider and exporters;
 * - `joined`: the global MeterProvider another SDK registered;
 * - `none`: OTEL_METRICS_EXPORTER=none and no other SDK (yet): nothing is exported;
 * - `disabled`: OTEL_SDK_DISABLED=true: nothing was started.
 */
export type PipelineMode = 'own' | 'joined' | 'none' | 'disabled';

export interface ConnectionMetrics {
  readonly mode: PipelineMode;
  readonly instrumentations: readonly Instrumentation[];
  /** The MeterProvider the instrumentations record to, when there is one. */
  readonly meterProvider: MeterProvider | undefined;
  /** Stops everything started here (for tests): instrumentations, hooks, and the own pipeline. */
  stop(): Promise<void>;
}

interface MeterProviderLike extends MeterProvider {
  forceFlush?(): Promise<void>;
  shutdown?(): Promise<void>;
}

export function startConnectionMetrics(env: Environment = process.env): ConnectionMetrics {
  const reader = new EnvReader(env);
  const settings = readSettings(env, reader);
  if (settings.sdkDisabled) return inert('disabled');
  if (settings.logLevel !== undefined) {
    diag.setLogger(new DiagConsoleLogger(), { logLevel: settings.logLevel, suppressOverrideMessage: true });
  } else {
    reportSetupWarnings();
  }

  const instrumentations = createInstrumentations({}, env);
  let mode: PipelineMode;
  let current: MeterProviderLike | undefined;
  let own: SdkMeterProvider | undefined;
  let stopWatching: () => void = () => {};

  const bind = (provider: MeterProvider) => registerInstrumentations({ instrumentations, meterProvider: provider });

  const destination = reportDestination(reader);
  const report = destination === undefined ? undefined : startZeroCodeReport(destination);

  const registered = registeredMeterProvider();
  if (registered) {
    mode = 'joined';
    current = registered;
    bind(registered);
  } else {
    const readers = [...createMetricReaders(settings), ...(report ? [report.reader] : [])];
    if (readers.length > 0) {
      own = new SdkMeterProvider({ resource: createResource(settings, reader), readers });
      current = own;
      mode = 'own';
      bind(own);
    } else {
      mode = 'none';
    }
    stopWatching = watchMeterProviderRegistration((provider) => {
      bind(provider);
      current = provider;
      mode = 'joined';
      const previous = own;
      own = undefined;
      // Export what was recorded before the switch, then stop for good.
      previous?.shutdown().catch((error: unknown) => diag.debug('connmetrics: shutting down the own pipeline failed', error));
    });
  }

  const exitHooks: ExitHooks = exportOnExit(
    {
      flush: async () => {
        await current?.forceFlush?.();
      },
      finish: async () => {
        await report?.print();
        // Our own provider is ours to stop; one another SDK registered is only flushed.
        if (own && current === own) await own.shutdown();
        else await current?.forceFlush?.();
      },
    },
    EXIT_EXPORT_TIMEOUT_MILLIS,
  );

  return {
    get mode() {
      return mode;
    },
    instrumentations,
    get meterProvider() {
      return current;
    },
    async stop() {
      stopWatching();
      exitHooks.remove();
      report?.remove();
      for (const instrumentation of instrumentations) instrumentation.disable();
      await own?.shutdown();
      own = undefined;
    },
  };
}

function inert(mode: PipelineMode): ConnectionMetrics {
  return { mode, instrumentations: [], meterProvider: undefined, stop: async () => {} };
}

/** startConnectionMetrics() that never throws: a failure leaves the application without connection metrics, and says so. */
export function startConnectionMetricsSafely(env: Environment = process.env): ConnectionMetrics {
  try {
    return startConnectionMetrics(env);
  } catch (error) {
    warnOnce(
      'start',
      `connmetrics: could not start; the application runs without connection metrics: ${error instanceof Error ? error.message : String(error)}`,
    );
    return inert('none');
  }
}

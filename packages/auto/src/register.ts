/*
 * `node --require @connmetrics/auto/register app.js`: connection metrics for
 * an unmodified application. Configured by the standard OpenTelemetry
 * environment variables (see the README). Loading it twice (say from
 * NODE_OPTIONS and the command line) starts it once.
 */
import { startConnectionMetricsSafely, type ConnectionMetrics } from './start';

const STARTED = Symbol.for('connmetrics.auto.register.v1');

type Holder = { [STARTED]?: ConnectionMetrics };

function startOnce(): ConnectionMetrics {
  const holder = globalThis as Holder;
  return (holder[STARTED] ??= startConnectionMetricsSafely());
}

/** What this process's registration started. */
export const connectionMetrics: ConnectionMetrics = startOnce();

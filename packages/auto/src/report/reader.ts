/*
 * The metric reader the report reads from: cumulative, collected only when a
 * report is made (it exports nothing, so it costs nothing between reports).
 * Readers register themselves process-wide, so that `connectionReport()`
 * finds the one zero-code mode added to its own MeterProvider as well as one
 * the application added to its SDK. When its MeterProvider shuts down (for
 * instance when zero-code mode moves to an SDK registered later), the reader
 * keeps what it had collected last, so no use recorded before is lost.
 */
import { diag } from '@opentelemetry/api';
import { AggregationTemporality, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';

const REGISTRY = Symbol.for('connmetrics.report.readers.v1');

type Holder = { [REGISTRY]?: Set<WeakRef<ConnectionReportReader>> };

function registry(): Set<WeakRef<ConnectionReportReader>> {
  return ((globalThis as Holder)[REGISTRY] ??= new Set());
}

/** How long one collection for a report may take. */
const COLLECT_TIMEOUT_MILLIS = 2_000;

export class ConnectionReportReader extends MetricReader {
  private final: ResourceMetrics | undefined;
  private closed = false;

  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
    registry().add(new WeakRef(this));
  }

  /** What was recorded so far, or undefined when the reader is not attached to a MeterProvider. */
  async snapshot(): Promise<ResourceMetrics | undefined> {
    if (this.closed) return this.final;
    try {
      const { resourceMetrics, errors } = await this.collect({ timeoutMillis: COLLECT_TIMEOUT_MILLIS });
      if (errors.length > 0) diag.debug('connmetrics report: collection errors', errors);
      return resourceMetrics;
    } catch {
      // Not bound to a MeterProvider (yet), or shut down meanwhile.
      return this.closed ? this.final : undefined;
    }
  }

  protected override async onForceFlush(): Promise<void> {}

  protected override async onShutdown(): Promise<void> {
    // Runs before the reader counts as shut down: the last collection is still allowed.
    this.final = await this.snapshot();
    this.closed = true;
  }
}

/**
 * A reader to add to your MeterProvider's readers (`new NodeSDK({ metricReaders: [...,
 * connectionReportReader()] })`) so that `connectionReport()` can read what the
 * instrumentations recorded. One per MeterProvider.
 */
export function connectionReportReader(): ConnectionReportReader {
  return new ConnectionReportReader();
}

/** Every report reader of the process that is still alive. */
export function registeredReportReaders(): ConnectionReportReader[] {
  const readers: ConnectionReportReader[] = [];
  for (const ref of registry()) {
    const reader = ref.deref();
    if (reader) readers.push(reader);
    else registry().delete(ref);
  }
  return readers;
}

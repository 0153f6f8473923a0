/*
 * Reads metrics through a real MeterProvider from @opentelemetry/sdk-metrics,
 * with cumulative temporality, and answers exact questions about them.
 */
import type { Attributes } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';

class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/**
 * Attributes a data point must have. A key whose value is `undefined` means the
 * attribute must be ABSENT (e.g. `{ 'error.type': undefined }` for successes).
 */
export type Filter = Attributes;

function matches(attributes: Attributes, filter: Filter | undefined): boolean {
  if (!filter) return true;
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined ? key in attributes : attributes[key] !== value) return false;
  }
  return true;
}

/** One collection of every metric, with exact look-ups. */
export class MetricsSnapshot {
  constructor(readonly metrics: readonly MetricData[]) {}

  /** The metric by name (from the first scope that has it), or undefined when it has no data points. */
  metric(name: string): MetricData | undefined {
    return this.metrics.find((metric) => metric.descriptor.name === name);
  }

  /**
   * Data points of a metric whose attributes include `filter`, from every
   * scope (two instrumentations may record the same metric name).
   */
  points(name: string, filter?: Filter): DataPoint<unknown>[] {
    return this.metrics
      .filter((metric) => metric.descriptor.name === name)
      .flatMap((metric) => metric.dataPoints as DataPoint<unknown>[])
      .filter((point) => matches(point.attributes, filter));
  }

  /** Sum of a counter's or up-down counter's values over the matching points. */
  sum(name: string, filter?: Filter): number {
    const metric = this.metric(name);
    if (metric && metric.dataPointType !== DataPointType.SUM && metric.dataPointType !== DataPointType.GAUGE) {
      throw new Error(`${name} is not a sum or gauge`);
    }
    return this.points(name, filter).reduce((total, point) => total + (point.value as number), 0);
  }

  /** Number of recordings of a histogram over the matching points. */
  count(name: string, filter?: Filter): number {
    const metric = this.metric(name);
    if (metric && metric.dataPointType !== DataPointType.HISTOGRAM) throw new Error(`${name} is not a histogram`);
    return this.points(name, filter).reduce((total, point) => total + (point.value as Histogram).count, 0);
  }

  /** Sum of the recorded values of a histogram over the matching points. */
  histogramSum(name: string, filter?: Filter): number {
    return this.points(name, filter).reduce((total, point) => total + ((point.value as Histogram).sum ?? 0), 0);
  }

  /**
   * Per value of attribute `key` (e.g. `error.type`), over the points that
   * have it: a counter's sum, or a histogram's number of recordings.
   */
  byAttribute(name: string, key: string): Record<string, number> {
    const result: Record<string, number> = {};
    for (const point of this.points(name)) {
      const value = point.attributes[key];
      if (value === undefined) continue;
      const amount = typeof point.value === 'number' ? point.value : (point.value as Histogram).count;
      result[String(value)] = (result[String(value)] ?? 0) + amount;
    }
    return result;
  }

  /** Every attribute set recorded on a metric. */
  attributeSets(name: string): Attributes[] {
    return this.points(name).map((point) => point.attributes);
  }

  /** Every attribute set of every metric, for checks that span all metrics. */
  allAttributeSets(): Array<{ name: string; attributes: Attributes }> {
    return this.metrics.flatMap((metric) =>
      (metric.dataPoints as DataPoint<unknown>[]).map((point) => ({ name: metric.descriptor.name, attributes: point.attributes })),
    );
  }
}

/** A MeterProvider with a reader that tests collect from on demand. */
export class TestMetrics {
  readonly reader = new CollectingReader();
  readonly meterProvider = new MeterProvider({ readers: [this.reader] });

  async collect(): Promise<MetricsSnapshot> {
    const { resourceMetrics, errors } = await this.reader.collect();
    if (errors.length > 0) throw new AggregateError(errors, 'metric collection failed');
    return new MetricsSnapshot(resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics));
  }

  async shutdown(): Promise<void> {
    await this.meterProvider.shutdown();
  }
}

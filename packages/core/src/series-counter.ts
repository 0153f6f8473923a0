/*
 * A monotonic counter for the hot path: each use adds to a plain integer held
 * by its attribute set's series, and the SDK reads every series in one batch
 * observable callback at collection. Exported like a Counter (a cumulative
 * monotonic sum), it costs a use one increment instead of an SDK recording
 * (which hashes the attributes, about 0.75 µs and 1.5 KB per call on Node 24).
 */
import { diag, type Attributes, type Meter, type MetricOptions, type ObservableCounter } from '@opentelemetry/api';
import { attributesKey } from './attributes';
import { reportFailure } from './guard';

/** The running total of one attribute set. */
export interface CounterSeries {
  readonly attributes: Attributes;
  value: number;
}

const logger = diag.createComponentLogger({ namespace: '@connmetrics/core' });

export class SeriesCounter {
  readonly instrument: ObservableCounter;
  private readonly series = new Map<string, CounterSeries>();

  constructor(meter: Meter, name: string, options: MetricOptions) {
    this.instrument = meter.createObservableCounter(name, options);
    meter.addBatchObservableCallback((result) => {
      try {
        for (const series of this.series.values()) result.observe(this.instrument, series.value, series.attributes);
      } catch (error) {
        reportFailure(logger, `observe ${name}`, error);
      }
    }, [this.instrument]);
  }

  /** The series of an attribute set, to add to directly; one per distinct set, kept for the process's life. */
  seriesOf(attributes: Attributes): CounterSeries {
    const key = attributesKey(attributes);
    let series = this.series.get(key);
    if (!series) this.series.set(key, (series = { attributes, value: 0 }));
    return series;
  }

  /** Counter-compatible: adds `value` to the series of `attributes`. */
  add(value: number, attributes: Attributes = {}): void {
    if (value > 0) this.seriesOf(attributes).value += value;
  }
}

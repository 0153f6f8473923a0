/*
 * A database instrumentation's pool metrics on its MeterProvider, wired once
 * for every database package: the db.client.connection.* instruments its
 * PoolTimings record into, and its pools' place on that provider's pool
 * gauges. Moved at each new MeterProvider (from the instrumentation's
 * `_updateMetricInstruments()`).
 */
import type { Meter } from '@opentelemetry/api';
import { createDbConnectionInstruments, type DbConnectionInstruments } from './instruments';
import { reportPoolGauges, type PoolSource } from './pool-gauges';
import { PoolTimings } from './pool-timings';

export class PoolMetrics {
  readonly timings: PoolTimings;
  private instruments: DbConnectionInstruments | undefined;
  /** Stops reporting the pools on the gauges of the previous MeterProvider. */
  private leave: (() => void) | undefined;

  /** @param pools the instance's pools (its PoolRegistry) */
  constructor(private readonly pools: PoolSource) {
    // Read at each recording; useMeter() runs before the first (from the instrumentation's constructor).
    this.timings = new PoolTimings(() => this.instruments!);
  }

  /** Records on `meter` from now: its instruments, and the pools on its pool gauges (leaving the previous meter's). */
  useMeter(meter: Meter): void {
    this.instruments = createDbConnectionInstruments(meter);
    this.leave?.();
    this.leave = reportPoolGauges(meter, this.instruments, this.pools);
  }
}

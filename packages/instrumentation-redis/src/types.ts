import type { ConnectionInstrumentationConfig } from '@connmetrics/core';

/**
 * Options of {@link RedisConnectionInstrumentation}. Every option of
 * {@link ConnectionInstrumentationConfig} applies, and one of its own.
 */
export interface RedisConnectionInstrumentationConfig extends ConnectionInstrumentationConfig {
  /**
   * Record `db.client.connection.create_time` and
   * `db.client.connection.wait_time`. node-redis 6's own OpenTelemetry
   * integration (`OpenTelemetry.init()`, metric groups `connection-basic` and
   * `connection-advanced`) records the same two instruments from the same
   * events; set this to `false` when both export to one backend, so that each
   * connection is timed once.
   * @default true
   */
  recordConnectionTimes?: boolean;
}

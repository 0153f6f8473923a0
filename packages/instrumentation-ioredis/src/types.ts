import type { ConnectionInstrumentationConfig } from '@connmetrics/core';

/**
 * Options of {@link IORedisConnectionInstrumentation}. Every option of
 * {@link ConnectionInstrumentationConfig} applies; ioredis adds none yet.
 */
export type IORedisConnectionInstrumentationConfig = ConnectionInstrumentationConfig;

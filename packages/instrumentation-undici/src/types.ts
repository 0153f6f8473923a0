import type { ConnectionInstrumentationConfig } from '@connmetrics/core';

/**
 * Options of {@link UndiciConnectionInstrumentation}. Every option of
 * {@link ConnectionInstrumentationConfig} applies; undici adds none yet.
 */
export type UndiciConnectionInstrumentationConfig = ConnectionInstrumentationConfig;

import type { ConnectionInstrumentationConfig } from '@connmetrics/core';

/**
 * Options of {@link HttpConnectionInstrumentation}. Every option of
 * {@link ConnectionInstrumentationConfig} applies (`recordPeerAddress`,
 * `recordSocketPhases`, `connectionAttributes`); node:http adds none.
 */
export type HttpConnectionInstrumentationConfig = ConnectionInstrumentationConfig;

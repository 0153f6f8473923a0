import type { ConnectionInstrumentationConfig } from '@connmetrics/core';

/**
 * Options of {@link UndiciConnectionInstrumentation}. Every option of
 * {@link ConnectionInstrumentationConfig} applies (`recordPeerAddress`,
 * `recordSocketPhases`, `connectionAttributes`); undici adds none.
 */
export type UndiciConnectionInstrumentationConfig = ConnectionInstrumentationConfig;

import type { ConnectionInstrumentationConfig } from '@connmetrics/core';

/**
 * Options of {@link GrpcConnectionInstrumentation}. Every option of
 * {@link ConnectionInstrumentationConfig} applies; gRPC adds none yet.
 */
export type GrpcConnectionInstrumentationConfig = ConnectionInstrumentationConfig;

export { PgConnectionInstrumentation } from './instrumentation';
export type { PgConnectionInstrumentationConfig, PgPoolInfo } from './types';
export { METRIC_CONNECTION_CLOSED } from './instruments';

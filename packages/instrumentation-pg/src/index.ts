export { PgConnectionInstrumentation } from './instrumentation';
export type { PgConnectionInstrumentationConfig, PgPoolInfo } from './types';

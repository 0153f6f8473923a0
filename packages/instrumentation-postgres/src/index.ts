export { PostgresConnectionInstrumentation } from './instrumentation';
export type { PostgresConnectionInstrumentationConfig, PostgresPoolInfo } from './types';

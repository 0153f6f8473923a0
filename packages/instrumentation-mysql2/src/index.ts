export { MySQL2ConnectionInstrumentation } from './instrumentation';
export type { MySQL2ConnectionInstrumentationConfig, MySQL2PoolInfo } from './types';

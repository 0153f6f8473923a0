export { MySQL2ConnectionInstrumentation } from './instrumentation';
export { MySQL2Channel } from './channels';
export type { MySQL2ConnectionInstrumentationConfig, MySQL2PoolInfo } from './types';

export { IORedisConnectionInstrumentation } from './instrumentation';
export type { IORedisConnectionInstrumentationConfig } from './types';

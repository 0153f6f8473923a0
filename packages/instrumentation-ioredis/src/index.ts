export { IORedisConnectionInstrumentation } from './instrumentation';
export type { IORedisConnectionInstrumentationConfig } from './types';
export { IORedisChannel } from './channels';

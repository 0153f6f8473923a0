export { RedisConnectionInstrumentation } from './instrumentation';
export type { RedisConnectionInstrumentationConfig } from './types';
export { NodeRedisChannel } from './channels';

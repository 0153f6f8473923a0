export { HttpConnectionInstrumentation } from './instrumentation';
export type { HttpConnectionInstrumentationConfig } from './types';
export { HttpChannel } from './channels';

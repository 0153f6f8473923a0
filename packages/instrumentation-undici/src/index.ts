export { UndiciConnectionInstrumentation } from './instrumentation';
export type { UndiciConnectionInstrumentationConfig } from './types';
export { UndiciChannel } from './channels';

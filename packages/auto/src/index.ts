export { getConnectionInstrumentations, CONNECTION_INSTRUMENTATION_NAMES } from './instrumentations';
export type { ConnectionInstrumentationsConfig, ConnectionInstrumentationName } from './types';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';

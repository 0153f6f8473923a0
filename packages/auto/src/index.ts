export { getConnectionInstrumentations, CONNECTION_INSTRUMENTATION_NAMES } from './instrumentations';
export type { ConnectionInstrumentationsConfig, ConnectionInstrumentationName } from './types';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
export {
  connectionReport,
  connectionReportReader,
  ConnectionReportReader,
  formatConnectionReport,
  connectionReportJson,
  type ConnectionReport,
  type ConnectionReportRow,
  type ConnectionReportOptions,
  type Percentiles,
  type Finding,
  type RuleId,
} from './report/index';

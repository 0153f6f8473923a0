export { connectionReport, reportOf, type ConnectionReport, type ConnectionReportRow, type ConnectionReportOptions, type Percentiles } from './report';
export { connectionReportReader, ConnectionReportReader } from './reader';
export { formatConnectionReport, connectionReportJson } from './format';
export type { Finding, RuleId } from './rules';

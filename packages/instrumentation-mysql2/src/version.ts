export const PACKAGE_NAME = '@connmetrics/instrumentation-mysql2';
export const PACKAGE_VERSION = '0.1.0';

export const PACKAGE_NAME = '@connmetrics/instrumentation-postgres';
export const PACKAGE_VERSION = '0.1.0';

export const PACKAGE_NAME = '@connmetrics/instrumentation-redis';
export const PACKAGE_VERSION = '0.1.0';

export const PACKAGE_NAME = '@connmetrics/instrumentation-http';
export const PACKAGE_VERSION = '0.1.0';

export const PACKAGE_NAME = '@connmetrics/instrumentation-ioredis';
export const PACKAGE_VERSION = '0.1.0';

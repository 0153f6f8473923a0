export const PACKAGE_NAME = '@connmetrics/instrumentation-grpc';
export const PACKAGE_VERSION = '0.1.0';

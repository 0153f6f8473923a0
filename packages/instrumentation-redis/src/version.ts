// Generated from package.json by tools/generate-versions.mjs: do not edit.
export const PACKAGE_NAME = '@connmetrics/instrumentation-redis';
export const PACKAGE_VERSION = '0.1.0';

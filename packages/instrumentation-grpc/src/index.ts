export { GrpcConnectionInstrumentation } from './instrumentation';
export type { GrpcConnectionInstrumentationConfig } from './types';
export { Http2Channel } from './channels';
export { SUPPORTED_GRPC_JS_VERSIONS } from './grpc-js-patch';

export * from './semconv';
export { SETUP_DURATION_BUCKETS, LIFETIME_BUCKETS, USES_BUCKETS, IDLE_TIME_BUCKETS } from './buckets';
export {
  errorType,
  serverAddress,
  serverPort,
  defaultPortOf,
  tlsProtocolVersion,
  compactAttributes,
  attributesKey,
} from './attributes';
export { guard, reportFailure } from './guard';
export { ChannelSubscriptions, type ChannelHandlers } from './channels';
export {
  createConnectionInstruments,
  createHttpConnectionInstruments,
  createDbConnectionInstruments,
  type ConnectionInstruments,
  type HttpConnectionInstruments,
  type DbConnectionInstruments,
} from './instruments';
export {
  acquireSocketPhases,
  releaseSocketPhases,
  claimSocketPhases,
  claimNextSocketPhases,
  timeTlsUpgrade,
  isSocketFollowed,
  type PhaseTarget,
} from './socket-phases';
export { ConnectionTracker, causeOf, type ConnectionState, type UseCounters, type CloseCause } from './connection-tracker';
export { OpenConnectionsObserver } from './open-connections';
export { ConnectionInstrumentationBase } from './base';
export type { ConnectionInstrumentationConfig, ConnectionInfo } from './types';
export { HookRunner } from './guard';
export { HttpClientInstrumentationBase } from './http-base';
export { MethodWrap, MethodWraps, type WrapperFactory } from './method-wrap';
export { SeriesCounter, type CounterSeries } from './series-counter';
export { markConnectionOwner, connectionOwner } from './connection-owners';
export { tlsOutcomeOf, tlsHandshakeAttributes, type TlsOutcome } from './tls-handshake';
export { loadedModuleFiles, versionInRange, type LoadedModuleFile } from './loaded-modules';

/*
 * What the protocol packages use, and the types of its public signatures;
 * nothing else (the socket phase registry, the guarded Meter, channel
 * subscriptions and hook runners are reached through ConnectionInstrumentationBase).
 */
export * from './semconv';
export { errorType, serverAddress, serverPort, defaultPortOf, attributesKey } from './attributes';
export { sharedAttributes, withAttribute, isSharedAttributes } from './attribute-sets';
export { seconds, isPromiseLike, moduleExports } from './helpers';
export { guard, reportFailure, HookRunner } from './guard';
export type { ChannelHandlers } from './channels';
export type { ConnectionClaims } from './claims';
export {
  createConnectionInstruments,
  createHttpConnectionInstruments,
  createDbConnectionInstruments,
  type ConnectionInstruments,
  type HttpConnectionInstruments,
  type DbConnectionInstruments,
} from './instruments';
// releaseSocketPhases: the bench's floor mode takes an instrumentation's socket-phase timing back.
export { timeTlsUpgrade, releaseSocketPhases, type PhaseTarget } from './socket-phases';
export { ConnectionTracker, type ConnectionState, type UseCounters, type CloseCause } from './connection-tracker';
export { OpenConnectionsObserver } from './open-connections';
export { ConnectionInstrumentationBase } from './base';
export type { ConnectionInstrumentationConfig, ConnectionInfo } from './types';
export { HttpClientInstrumentationBase } from './http-base';
export { MethodWrap, MethodWraps, type WrapperFactory } from './method-wrap';
export type { SeriesCounter, CounterSeries } from './series-counter';
export { markConnectionOwner, connectionOwner } from './connection-owners';
export { tlsOutcomeOf, tlsHandshakeAttributes, type TlsOutcome } from './tls-handshake';
export {
  PoolRegistry,
  defaultPoolName,
  poolAttributes,
  poolNameFromHook,
  type PoolEntry,
  type PoolAttributes,
  type CountedPool,
  type DbServerTarget,
} from './pool-registry';
export { reportPoolGauges, poolCount, type PoolCounts } from './pool-gauges';
export { PoolTimings } from './pool-timings';
export { PoolMetrics } from './pool-metrics';
export { redisReplyPrefix } from './reply-error';
export { loadedModuleFiles, versionInRange, type LoadedModuleFile } from './loaded-modules';

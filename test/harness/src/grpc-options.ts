/**
 * Channel options under which grpc-js makes one connection attempt and no
 * retry within a test: its reconnect backoff (1 s ± 20 %, then × 1.6) pushed
 * past any test, and a channel-local subchannel pool, so that a closed
 * channel's subchannel does not live on (and retry) in the global pool.
 */
export const GRPC_NO_RETRY = {
  'grpc.use_local_subchannel_pool': 1,
  'grpc.initial_reconnect_backoff_ms': 600_000,
  'grpc.max_reconnect_backoff_ms': 600_000,
} as const;

import type { Counter, Histogram, Meter, ObservableUpDownCounter } from '@opentelemetry/api';
import { IDLE_TIME_BUCKETS, LIFETIME_BUCKETS, SETUP_DURATION_BUCKETS, USES_BUCKETS } from './buckets';
import type { ConnectionClaims } from './claims';
import { sharedSeriesCounter, type SeriesCounter } from './series-counter';
import * as semconv from './semconv';

/** The instruments every protocol records: connections created, reused, failed, and setup phases. */
export interface ConnectionInstruments {
  /** Per connection: an observable counter fed from integers (see series-counter.ts), like `reused` and `closed`. */
  readonly created: SeriesCounter;
  /** Per use: an observable counter fed from integers. */
  readonly reused: SeriesCounter;
  readonly failed: Counter;
  /** Per connection: an observable counter fed from integers. */
  readonly closed: SeriesCounter;
  /** Per connection at close: the uses it served. */
  readonly uses: Histogram;
  /** Per idle connection at close: seconds since its last use ended. */
  readonly idleTime: Histogram;
  readonly reuseFailed: Counter;
  readonly connectDuration: Histogram;
  readonly tlsHandshakeDuration: Histogram;
  readonly dnsLookupDuration: Histogram;
  /** Which connections these instruments are for (set by ConnectionInstrumentationBase; see ConnectionTracker.claim). */
  readonly claims?: ConnectionClaims;
}

function setupHistogram(meter: Meter, name: string, description: string): Histogram {
  return meter.createHistogram(name, {
    description,
    unit: 's',
    advice: { explicitBucketBoundaries: [...SETUP_DURATION_BUCKETS] },
  });
}

export function createConnectionInstruments(meter: Meter): ConnectionInstruments {
  return {
    created: sharedSeriesCounter(meter, semconv.METRIC_CONNECTION_CREATED, {
      description: 'Connections opened and made ready for their first use (after TCP, TLS and any protocol handshake).',
      unit: '{connection}',
    }),
    reused: sharedSeriesCounter(meter, semconv.METRIC_CONNECTION_REUSED, {
      description: 'Uses (requests, checkouts, commands) served by a connection that had already served an earlier use.',
      unit: '{use}',
    }),
    failed: meter.createCounter(semconv.METRIC_CONNECTION_FAILED, {
      description: 'Connection attempts that never became ready; error.type says why.',
      unit: '{connection}',
    }),
    closed: sharedSeriesCounter(meter, semconv.METRIC_CONNECTION_CLOSED, {
      description:
        'Connections that closed after they were ready, by connmetrics.connection.close.reason (idle_timeout, client_closed, server_closed, error); error.type only when an error closed them.',
      unit: '{connection}',
    }),
    uses: meter.createHistogram(semconv.METRIC_CONNECTION_USES, {
      description: 'Uses (requests, checkouts, commands) each connection served, recorded when it closed.',
      unit: '{use}',
      advice: { explicitBucketBoundaries: [...USES_BUCKETS] },
    }),
    idleTime: meter.createHistogram(semconv.METRIC_CONNECTION_IDLE_TIME, {
      description: 'Time since its last use ended, for each connection that was idle when it closed, by close reason.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...IDLE_TIME_BUCKETS] },
    }),
    reuseFailed: meter.createCounter(semconv.METRIC_CONNECTION_REUSE_FAILED, {
      description:
        'Uses of an already-used connection that failed because the connection broke before any response (the keep-alive race); error.type says how.',
      unit: '{use}',
    }),
    connectDuration: setupHistogram(
      meter,
      semconv.METRIC_CONNECTION_CONNECT_DURATION,
      'Duration of TCP connects, from the end of DNS resolution (or the start of the socket) to the connect event.',
    ),
    tlsHandshakeDuration: setupHistogram(
      meter,
      semconv.METRIC_TLS_HANDSHAKE_DURATION,
      'Duration of TLS handshakes, from TCP connect (or the start of TLS on an upgraded socket) to secureConnect.',
    ),
    dnsLookupDuration: setupHistogram(
      meter,
      semconv.METRIC_DNS_LOOKUP_DURATION,
      'Duration of DNS lookups made for instrumented connections.',
    ),
  };
}

/** The HTTP client connection instruments of the semantic conventions. */
export interface HttpConnectionInstruments {
  readonly openConnections: ObservableUpDownCounter;
  readonly connectionDuration: Histogram;
  readonly timeInQueue: Histogram;
}

export function createHttpConnectionInstruments(meter: Meter): HttpConnectionInstruments {
  return {
    openConnections: meter.createObservableUpDownCounter(semconv.METRIC_HTTP_CLIENT_OPEN_CONNECTIONS, {
      description: 'Number of outbound HTTP connections that are currently active or idle on the client.',
      unit: '{connection}',
    }),
    connectionDuration: meter.createHistogram(semconv.METRIC_HTTP_CLIENT_CONNECTION_DURATION, {
      description: 'Lifetime of outbound HTTP connections, from ready to closed.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...LIFETIME_BUCKETS] },
    }),
    timeInQueue: setupHistogram(
      meter,
      semconv.METRIC_HTTP_CLIENT_REQUEST_TIME_IN_QUEUE,
      'Time a request waited for a connection, from its creation until its headers were written to a connection.',
    ),
  };
}

/** The nine db.client.connection.* instruments of the semantic conventions. */
export interface DbConnectionInstruments {
  readonly count: ObservableUpDownCounter;
  readonly idleMax: ObservableUpDownCounter;
  readonly idleMin: ObservableUpDownCounter;
  readonly max: ObservableUpDownCounter;
  readonly pendingRequests: ObservableUpDownCounter;
  readonly timeouts: Counter;
  readonly createTime: Histogram;
  readonly waitTime: Histogram;
  readonly useTime: Histogram;
}

export function createDbConnectionInstruments(meter: Meter): DbConnectionInstruments {
  const observable = (name: string, description: string, unit = '{connection}') =>
    meter.createObservableUpDownCounter(name, { description, unit });
  return {
    count: observable(semconv.METRIC_DB_CLIENT_CONNECTION_COUNT, 'The number of connections that are currently in the state described by db.client.connection.state.'),
    idleMax: observable(semconv.METRIC_DB_CLIENT_CONNECTION_IDLE_MAX, 'The maximum number of idle open connections allowed.'),
    idleMin: observable(semconv.METRIC_DB_CLIENT_CONNECTION_IDLE_MIN, 'The minimum number of idle open connections allowed.'),
    max: observable(semconv.METRIC_DB_CLIENT_CONNECTION_MAX, 'The maximum number of open connections allowed.'),
    pendingRequests: observable(
      semconv.METRIC_DB_CLIENT_CONNECTION_PENDING_REQUESTS,
      'The number of current pending requests for an open connection.',
      '{request}',
    ),
    timeouts: meter.createCounter(semconv.METRIC_DB_CLIENT_CONNECTION_TIMEOUTS, {
      description: 'The number of connection timeouts that have occurred trying to obtain a connection from the pool.',
      unit: '{timeout}',
    }),
    createTime: setupHistogram(meter, semconv.METRIC_DB_CLIENT_CONNECTION_CREATE_TIME, 'The time it took to create a new connection.'),
    waitTime: setupHistogram(meter, semconv.METRIC_DB_CLIENT_CONNECTION_WAIT_TIME, 'The time it took to obtain an open connection from the pool.'),
    useTime: meter.createHistogram(semconv.METRIC_DB_CLIENT_CONNECTION_USE_TIME, {
      description: 'The time between borrowing a connection and returning it to the pool.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...SETUP_DURATION_BUCKETS, 30, 60, 300] },
    }),
  };
}


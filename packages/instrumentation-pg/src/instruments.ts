import type { Counter, Meter } from '@opentelemetry/api';

/**
 * Connections that closed after they were ready. Not in the common set of
 * connmetrics yet: PostgreSQL needs it to say why a server ended a session
 * (pg_terminate_backend, a restart, a reset socket).
 */
export const METRIC_CONNECTION_CLOSED = 'connmetrics.connection.closed';

export function createConnectionClosedCounter(meter: Meter): Counter {
  return meter.createCounter(METRIC_CONNECTION_CLOSED, {
    description:
      'Connections that closed after they were ready; error.type names the error that closed them, and is absent for an orderly close.',
    unit: '{connection}',
  });
}

/*
 * Two instances of the instrumentation on one MeterProvider count each
 * connection, use and failure once: created equals what a proxy the fixture
 * starts accepted (and the server's pg_backend_pid()s), and one refused attempt is failed 1.
 */
import { postgresAddress, requireReachable, CREATED, FAILED, REUSED } from '@connmetrics/test-harness';
import { ERROR_TYPE, runPostgresFixture } from './support/fixtures';

beforeAll(async () => {
  const { host, port } = postgresAddress();
  await requireReachable('PostgreSQL', host, port);
});

test('two instances on one MeterProvider: created = accepted connections = pg_backend_pid()s, uses once each, one refused attempt failed 1', async () => {
  const { snapshots, values } = await runPostgresFixture<{ accepted: number; pids: number; refusal: string; errors: string[] }>('two-instances.js', 'twice');
  const after = snapshots.after!;
  expect({
    created: after.sum(CREATED),
    accepted: values.accepted,
    pids: values.pids,
    // 6 queries and one reservation.
    createdPlusReused: after.sum(CREATED) + after.sum(REUSED),
    failed: after.sum(FAILED),
    refused: after.sum(FAILED, { [ERROR_TYPE]: values.refusal }),
    errors: values.errors,
  }).toEqual({ created: 2, accepted: 2, pids: 2, createdPlusReused: 7, failed: 1, refused: 1, errors: [] });
});

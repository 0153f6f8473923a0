/*
 * Two instances of the instrumentation on one MeterProvider count each
 * connection, use and failure once: created equals what a proxy the fixture
 * starts accepted (and the server's CONNECTION_ID()s), and one refused attempt is failed 1.
 */
import { CREATED, ERROR_TYPE, FAILED, REUSED, requireMysql, runMySQL2Fixture } from './support/fixtures';

beforeAll(requireMysql);

test('two instances on one MeterProvider: created = accepted connections = CONNECTION_ID()s, uses once each, one refused attempt failed 1', async () => {
  const { snapshots, values } = await runMySQL2Fixture<{ accepted: number; ids: number; refusal: string; errors: string[] }>('two-instances.js', 'twice');
  const after = snapshots.after!;
  expect({
    created: after.sum(CREATED),
    accepted: values.accepted,
    ids: values.ids,
    createdPlusReused: after.sum(CREATED) + after.sum(REUSED),
    failed: after.sum(FAILED),
    refused: after.sum(FAILED, { [ERROR_TYPE]: values.refusal }),
    errors: values.errors,
  }).toEqual({ created: 3, accepted: 3, ids: 3, createdPlusReused: 9, failed: 1, refused: 1, errors: [] });
});

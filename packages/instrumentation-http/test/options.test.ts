import * as http from 'node:http';
import { startHttpServer, type TestServer } from '@connmetrics/test-harness';
import {
  CONNECT,
  CREATED,
  DNS,
  FAILED,
  OPEN,
  QUEUE,
  REUSED,
  instrumented,
  sequential,
  settled,
  type Subject,
} from './instrumented';

describe('options and attributes', () => {
  let server: TestServer;
  let subject: Subject | undefined;
  let agent: http.Agent;
  beforeEach(async () => {
    server = await startHttpServer();
    agent = new http.Agent({ keepAlive: true });
  });
  afterEach(async () => {
    agent.destroy();
    await subject?.stop();
    subject = undefined;
    await server.close();
  });

  test('recordSocketPhases: false records no phase, and the same counts', async () => {
    subject = instrumented({ recordSocketPhases: false });
    await sequential(5, `http://localhost:${server.port}/`, { agent });
    await settled(agent);
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(1);
    expect(snapshot.sum(REUSED)).toBe(4);
    expect(snapshot.count(CONNECT)).toBe(0);
    expect(snapshot.count(DNS)).toBe(0);
  });

  test('recordPeerAddress: network.peer.address on the connection metrics, not on the phases', async () => {
    subject = instrumented({ recordPeerAddress: true });
    await sequential(3, `http://localhost:${server.port}/`, { agent });
    await settled(agent);
    const snapshot = await subject.metrics.collect();
    const peer = { 'network.peer.address': '127.0.0.1' };
    expect(snapshot.sum(CREATED, peer)).toBe(1);
    expect(snapshot.sum(REUSED, peer)).toBe(2);
    expect(snapshot.count(QUEUE, peer)).toBe(1); // only the first request waited (for the connection)
    expect(snapshot.sum(OPEN, { ...peer, 'http.connection.state': 'idle' })).toBe(1);
    expect(snapshot.count(CONNECT, { 'network.peer.address': undefined })).toBe(1);
  });

  test('connectionAttributes: added once per connection to every metric; a throwing hook changes nothing else', async () => {
    const seen: unknown[] = [];
    subject = instrumented({
      connectionAttributes: (info) => {
        seen.push(info);
        return { 'service.peer.name': 'loopback' };
      },
    });
    await sequential(4, server.origin, { agent });
    await settled(agent);
    let snapshot = await subject.metrics.collect();
    const tagged = { 'service.peer.name': 'loopback' };
    expect(snapshot.sum(CREATED, tagged)).toBe(1);
    expect(snapshot.sum(REUSED, tagged)).toBe(3);
    expect(snapshot.count(CONNECT, tagged)).toBe(1);
    expect(snapshot.sum(OPEN, { ...tagged, 'http.connection.state': 'idle' })).toBe(1);
    // Once for the one connection: its phases and its own metrics share the result.
    expect(seen).toEqual(new Array(1).fill({ protocol: 'http', serverAddress: '127.0.0.1', serverPort: server.port }));
    await subject.stop();

    subject = instrumented({
      connectionAttributes: () => {
        throw new Error('a broken hook');
      },
    });
    const other = new http.Agent({ keepAlive: true });
    await sequential(3, server.origin, { agent: other });
    await settled(other);
    snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(1);
    expect(snapshot.sum(REUSED)).toBe(2);
    other.destroy();
  });

  test('no credential, path or query string ever becomes an attribute', async () => {
    subject = instrumented({ recordPeerAddress: true });
    await sequential(3, `http://alice:s3cret@localhost:${server.port}/private/path?token=abc123#frag`, { agent });
    const refused = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve) =>
      http.get(`http://bob:hunter2@127.0.0.1:1/secret?key=k`, { agent: refused }).on('error', () => resolve()),
    );
    refused.destroy();
    await settled(agent);
    agent.destroy();
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(1);
    expect(snapshot.sum(FAILED)).toBe(1);
    const everything = JSON.stringify(snapshot.allAttributeSets());
    for (const secret of ['alice', 's3cret', 'private', 'path', 'token', 'abc123', 'frag', 'bob', 'hunter2', 'secret', 'key=']) {
      expect(everything).not.toContain(secret);
    }
    const keys = new Set(snapshot.allAttributeSets().flatMap(({ attributes }) => Object.keys(attributes)));
    expect([...keys].sort()).toEqual(
      [
        'dns.question.name',
        'error.type',
        'http.connection.state',
        'network.peer.address',
        'network.protocol.name',
        'network.protocol.version',
        'server.address',
        'server.port',
      ].sort(),
    );
  });
});

import * as http from 'node:http';
import { join } from 'node:path';
import axios from 'axios';
import { runFixture, startHttpServer, type TestServer } from '@connmetrics/test-harness';
import { CREATED, OPEN, QUEUE, REUSED, instrumented, server as serverAttributes, settled, type Subject } from './instrumented';

describe('HTTP client libraries on node:http', () => {
  let server: TestServer;
  let subject: Subject;
  beforeEach(async () => {
    server = await startHttpServer();
    subject = instrumented();
  });
  afterEach(async () => {
    await subject.stop();
    await server.close();
  });

  test('axios with its defaults (http.globalAgent through follow-redirects), 10 requests: 1 created, 9 reused', async () => {
    try {
      for (let i = 0; i < 10; i += 1) expect((await axios.get(server.origin)).data).toBe('ok');
      await settled(http.globalAgent);
      const snapshot = await subject.metrics.collect();
      const attributes = serverAttributes('127.0.0.1', server.port);
      expect(snapshot.sum(CREATED, attributes)).toBe(1);
      expect(snapshot.sum(REUSED, attributes)).toBe(9);
      expect(server.acceptedConnections).toBe(1);
      expect(snapshot.sum(OPEN, { ...attributes, 'http.connection.state': 'idle' })).toBe(1);
    } finally {
      http.globalAgent.destroy();
    }
  });

  test('axios with a keep-alive agent of 2 sockets, 10 parallel requests: 2 created, 8 reused', async () => {
    const slow = await startHttpServer({ delayMs: 50 });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    try {
      const responses = await Promise.all(Array.from({ length: 10 }, () => axios.get(slow.origin, { httpAgent: agent })));
      expect(responses.map((response) => response.data)).toEqual(new Array(10).fill('ok'));
      await settled(agent);
      const snapshot = await subject.metrics.collect();
      expect(snapshot.sum(CREATED, { 'server.port': slow.port })).toBe(2);
      expect(snapshot.sum(REUSED, { 'server.port': slow.port })).toBe(8);
      expect(snapshot.count(QUEUE, { 'server.port': slow.port })).toBe(10);
      expect(slow.acceptedConnections).toBe(2);
    } finally {
      agent.destroy();
      await slow.close();
    }
  });

  // got 14 is ESM-only: it runs in a real ESM process, as applications load it.
  const gotClient = join(__dirname, 'fixtures', 'got-client.mjs');

  test('got with its defaults (http.globalAgent), 10 sequential requests: 1 created, 9 reused', async () => {
    const run = await runFixture<Record<string, unknown>>(gotClient, { args: [server.origin, 'sequential', '10'] });
    expect(run.stderr).toBe('');
    expect(run.result).toEqual({ bodies: ['ok'], created: 1, reused: 9, queued: 1, idle: 1, active: 0 });
    expect(server.acceptedConnections).toBe(1);
  });

  test('got with a keep-alive agent of 2 sockets, 10 parallel requests: 2 created, 8 reused', async () => {
    const slow = await startHttpServer({ delayMs: 50 });
    try {
      const run = await runFixture<Record<string, unknown>>(gotClient, { args: [slow.origin, 'parallel', '10'] });
      expect(run.stderr).toBe('');
      expect(run.result).toEqual({ bodies: ['ok'], created: 2, reused: 8, queued: 10, idle: 2, active: 0 });
      expect(slow.acceptedConnections).toBe(2);
    } finally {
      await slow.close();
    }
  });
});

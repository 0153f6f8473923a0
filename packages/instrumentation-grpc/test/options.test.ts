import * as http2 from 'node:http2';
import type { ConnectionInfo } from '@connmetrics/core';
import { echoClient, startEchoServer, unary } from './fixtures/echo-service';
import { request, startHttp2Server } from './http2-server';
import { CONNECT, CREATED, REUSED, grpcConnection, instrumented } from './instrumented';

describe('options', () => {
  let subject: ReturnType<typeof instrumented> | undefined;
  afterEach(async () => subject?.stop());

  test('connectionAttributes is told each connection\'s protocol, and its attributes are added', async () => {
    const infos: ConnectionInfo[] = [];
    subject = instrumented({
      connectionAttributes: (info) => {
        infos.push(info);
        return { 'app.route': info.protocol === 'grpc' ? 'rpc' : 'rest' };
      },
    });
    const grpcServer = await startEchoServer();
    const client = echoClient(`127.0.0.1:${grpcServer.port}`);
    await unary(client);
    const httpServer = await startHttp2Server();
    const session = http2.connect(`http://127.0.0.1:${httpServer.port}`);
    await request(session);
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED, { ...grpcConnection(grpcServer.port), 'app.route': 'rpc' })).toBe(1);
    expect(snapshot.sum(CREATED, { 'network.protocol.name': 'http', 'server.port': httpServer.port, 'app.route': 'rest' })).toBe(1);
    expect(infos).toContainEqual({ protocol: 'grpc', serverAddress: '127.0.0.1', serverPort: grpcServer.port });
    expect(infos).toContainEqual({ protocol: 'http', serverAddress: '127.0.0.1', serverPort: httpServer.port });
    client.close();
    session.close();
    grpcServer.stop();
    await httpServer.close();
  });

  test('a connectionAttributes hook that throws: connections are still counted, the calls succeed', async () => {
    subject = instrumented({
      connectionAttributes: () => {
        throw new Error('hook failure');
      },
    });
    const server = await startEchoServer();
    const client = echoClient(`127.0.0.1:${server.port}`);
    for (let i = 0; i < 3; i += 1) await unary(client);
    const snapshot = await subject.metrics.collect();
    expect(snapshot.attributeSets(CREATED)).toEqual([grpcConnection(server.port)]);
    expect(snapshot.sum(REUSED)).toBe(2);
    client.close();
    server.stop();
  });

  test('recordPeerAddress adds network.peer.address', async () => {
    subject = instrumented({ recordPeerAddress: true });
    const server = await startEchoServer();
    const client = echoClient(`127.0.0.1:${server.port}`);
    await unary(client);
    await unary(client);
    const snapshot = await subject.metrics.collect();
    const connection = { ...grpcConnection(server.port), 'network.peer.address': '127.0.0.1' };
    expect(snapshot.attributeSets(CREATED)).toEqual([connection]);
    expect(snapshot.sum(REUSED, connection)).toBe(1);
    client.close();
    server.stop();
  });

  test('recordSocketPhases: false records no phases, and still counts', async () => {
    subject = instrumented({ recordSocketPhases: false });
    const server = await startEchoServer();
    const client = echoClient(`127.0.0.1:${server.port}`);
    await unary(client);
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(1);
    expect(snapshot.count(CONNECT)).toBe(0);
    client.close();
    server.stop();
  });
});

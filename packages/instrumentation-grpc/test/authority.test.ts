import { grpcTargetAuthority, parseAuthority } from '../src/authority';
import { isGrpcRequest } from '../src/request-headers';

describe('parseAuthority', () => {
  test.each([
    ['localhost:50051', 443, { address: 'localhost', port: 50051 }],
    ['api.example.com', 443, { address: 'api.example.com', port: 443 }],
    ['API.Example.COM.:8443', 443, { address: 'api.example.com', port: 8443 }],
    ['127.0.0.1:9000', 80, { address: '127.0.0.1', port: 9000 }],
    ['[::1]:50051', 443, { address: '::1', port: 50051 }],
    ['[::1]', 80, { address: '::1', port: 80 }],
    ['::1', 443, { address: '::1', port: 443 }],
    ['user:secret@db.internal:5000', 443, { address: 'db.internal', port: 5000 }],
    ['host:notaport', 443, { address: 'host', port: 443 }],
    ['', 443, { address: undefined, port: 443 }],
    [undefined, 80, { address: undefined, port: 80 }],
  ])('%p (default port %p)', (authority, defaultPort, expected) => {
    expect(parseAuthority(authority, defaultPort)).toEqual(expected);
  });
});

describe('grpcTargetAuthority', () => {
  test.each([
    [{ scheme: 'dns', path: 'localhost:50051' }, 'localhost:50051'],
    [{ scheme: 'dns', authority: '8.8.8.8', path: 'svc.internal:443' }, 'svc.internal:443'],
    [{ path: 'localhost:50051' }, 'localhost:50051'],
    [{ scheme: 'ipv4', path: '10.0.0.1:50051,10.0.0.2:50051' }, '10.0.0.1:50051'],
    [{ scheme: 'ipv6', path: '[::1]:50051' }, '[::1]:50051'],
    [{ scheme: 'unix', path: '/tmp/grpc.sock' }, undefined],
    [{ scheme: 'dns' }, undefined],
    [null, undefined],
    ['dns:localhost', undefined],
  ])('%p', (target, expected) => {
    expect(grpcTargetAuthority(target)).toBe(expected);
  });
});

describe('isGrpcRequest', () => {
  test.each([
    [{ 'content-type': 'application/grpc' }, true],
    [{ 'content-type': 'application/grpc+proto' }, true],
    [{ 'content-type': 'Application/GRPC+json' }, true],
    [{ 'content-type': 'application/grpc-web' }, false],
    [{ 'content-type': 'application/json' }, false],
    [{ 'user-agent': 'grpc-node-js/1.14.7' }, false],
    [{}, false],
    [undefined, false],
  ])('%p', (headers, expected) => {
    expect(isGrpcRequest(headers)).toBe(expected);
  });
});

/*
 * An OTLP metrics receiver on loopback, for tests of exporters: OTLP/HTTP
 * with protobuf or JSON bodies (optionally gzip), and OTLP/gRPC. Every body is
 * decoded with the message types generated from the official
 * opentelemetry-proto definitions (the static protobufjs module that
 * @opentelemetry/otlp-transformer 0.215 shipped), so a payload that does not
 * follow the protocol fails to decode instead of passing by accident.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { Attributes } from '@opentelemetry/api';

export type OtlpTransport = 'http/protobuf' | 'http/json' | 'grpc';

/** One data point of one metric, flattened with its resource and scope. */
export interface OtlpPoint {
  readonly metric: string;
  readonly type: 'sum' | 'gauge' | 'histogram' | 'exponentialHistogram' | 'summary';
  readonly unit: string;
  readonly description: string;
  readonly resource: Attributes;
  readonly scope: { readonly name: string; readonly version: string };
  readonly attributes: Attributes;
  /** Sums and gauges. */
  readonly value?: number;
  /** Histograms: number of recordings, their sum, and the buckets. */
  readonly count?: number;
  readonly sum?: number;
  readonly bucketCounts?: readonly number[];
  readonly explicitBounds?: readonly number[];
  /** Sums: monotonic (a Counter) or not (an UpDownCounter). */
  readonly isMonotonic?: boolean;
  /** 1 = delta, 2 = cumulative (AggregationTemporality of the protocol). */
  readonly temporality?: number;
  readonly startTimeUnixNano: string;
  readonly timeUnixNano: string;
}

/** One export request as received. */
export interface ReceivedExport {
  readonly transport: OtlpTransport;
  /** HTTP path or gRPC method path. */
  readonly path: string;
  /** Request headers (HTTP) or metadata (gRPC), lower-case keys. */
  readonly headers: Readonly<Record<string, string>>;
  readonly points: readonly OtlpPoint[];
  readonly receivedAt: number;
}

function matches(attributes: Attributes, filter: Attributes | undefined): boolean {
  if (!filter) return true;
  return Object.entries(filter).every(([key, value]) => (value === undefined ? key in attributes : attributes[key] === value));
}

/** Exact look-ups over data points, like the in-process MetricsSnapshot. */
export class OtlpMetrics {
  constructor(readonly allPoints: readonly OtlpPoint[]) {}

  /** Names of the metrics that have at least one point. */
  names(): string[] {
    return [...new Set(this.allPoints.map((point) => point.metric))].sort();
  }

  points(name: string, filter?: Attributes): OtlpPoint[] {
    return this.allPoints.filter((point) => point.metric === name && matches(point.attributes, filter));
  }

  /** Sum of the values of a sum or gauge over the matching points. */
  sum(name: string, filter?: Attributes): number {
    return this.points(name, filter).reduce((total, point) => {
      if (point.value === undefined) throw new Error(`${name} is a ${point.type}, not a sum or gauge`);
      return total + point.value;
    }, 0);
  }

  /** Number of recordings of a histogram over the matching points. */
  count(name: string, filter?: Attributes): number {
    return this.points(name, filter).reduce((total, point) => {
      if (point.count === undefined) throw new Error(`${name} is a ${point.type}, not a histogram`);
      return total + point.count;
    }, 0);
  }

  /** Sum of the recorded values of a histogram over the matching points. */
  histogramSum(name: string, filter?: Attributes): number {
    return this.points(name, filter).reduce((total, point) => total + (point.sum ?? 0), 0);
  }

  /** The resources that sent the points (distinct attribute sets). */
  resources(): Attributes[] {
    const seen = new Map<string, Attributes>();
    for (const point of this.allPoints) seen.set(JSON.stringify(sorted(point.resource)), point.resource);
    return [...seen.values()];
  }
}

function sorted(attributes: Attributes): Array<[string, unknown]> {
  return Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b));
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:PORT`: the value for OTEL_EXPORTER_OTLP_ENDPOINT (HTTP). */
  readonly httpEndpoint: string;
  /** `http://127.0.0.1:PORT/v1/metrics`: the value for OTEL_EXPORTER_OTLP_METRICS_ENDPOINT (HTTP). */
  readonly metricsUrl: string;
  /** `http://127.0.0.1:PORT` of the gRPC server, when started with `grpc: true`. */
  readonly grpcEndpoint: string | undefined;
  readonly exports: readonly ReceivedExport[];
  /**
   * Export requests (OTLP/HTTP) that arrived, counted at their headers: what
   * the endpoint saw of a client even when its body was cut short (a process
   * that ended while sending).
   */
  readonly requests: number;
  /** Bodies that did not decode as an ExportMetricsServiceRequest (answered 400). */
  readonly rejected: ReadonlyArray<{ readonly transport: OtlpTransport; readonly error: string }>;
  /**
   * The newest point of every series (resource, scope, metric, attributes)
   * over all exports: with cumulative temporality, the totals so far.
   */
  latest(): OtlpMetrics;
  /** Every point of every export, in order of arrival. */
  all(): OtlpMetrics;
  /** Resolves once `condition` holds for the exports received; rejects after `timeoutMs`. */
  waitFor(condition: (receiver: OtlpReceiver) => boolean, message: string, timeoutMs?: number): Promise<void>;
  /** Forgets what was received. */
  clear(): void;
  close(): Promise<void>;
}

export interface OtlpReceiverOptions {
  /** Also serve OTLP/gRPC. */
  grpc?: boolean;
  /** HTTP status to answer export requests with (default 200), to test failures. */
  status?: number;
}

// ---- decoding with the official message types ---------------------------

interface ProtoType {
  decode(buffer: Uint8Array): unknown;
  encode(message: unknown): { finish(): Uint8Array };
  fromObject(object: unknown): unknown;
  toObject(message: unknown, options: Record<string, unknown>): unknown;
}

interface MetricsServiceTypes {
  readonly request: ProtoType;
  readonly response: ProtoType;
}

let types: MetricsServiceTypes | undefined;

function metricsServiceTypes(): MetricsServiceTypes {
  if (!types) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const root = require('otlp-protos/build/src/generated/root') as {
      opentelemetry: { proto: { collector: { metrics: { v1: Record<string, ProtoType> } } } };
    };
    const service = root.opentelemetry.proto.collector.metrics.v1;
    types = { request: service['ExportMetricsServiceRequest']!, response: service['ExportMetricsServiceResponse']! };
  }
  return types;
}

const TO_OBJECT = { longs: String, enums: Number, bytes: String, defaults: false, arrays: true, objects: true, oneofs: false };

/** Decodes a binary request; throws when it is not one. */
function decodeProtobuf(body: Uint8Array): PlainRequest {
  const { request } = metricsServiceTypes();
  return request.toObject(request.decode(body), TO_OBJECT) as PlainRequest;
}

/**
 * Decodes an OTLP/JSON request through the same message type (fromObject
 * converts every field by its declared type and throws on wrong shapes), then
 * to the same plain form as a binary request.
 */
function decodeJson(body: Buffer): PlainRequest {
  const { request } = metricsServiceTypes();
  const parsed: unknown = JSON.parse(body.toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as PlainRequest).resourceMetrics)) {
    throw new Error('not an ExportMetricsServiceRequest: resourceMetrics missing');
  }
  return request.toObject(request.fromObject(parsed), TO_OBJECT) as PlainRequest;
}

// The shapes toObject() produces (camelCase fields, int64 as strings).
interface PlainAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values?: PlainAnyValue[] };
}
interface PlainKeyValue {
  key: string;
  value?: PlainAnyValue;
}
interface PlainNumberPoint {
  attributes?: PlainKeyValue[];
  startTimeUnixNano?: string;
  timeUnixNano?: string;
  asDouble?: number;
  asInt?: string;
}
interface PlainHistogramPoint {
  attributes?: PlainKeyValue[];
  startTimeUnixNano?: string;
  timeUnixNano?: string;
  count?: string;
  sum?: number;
  bucketCounts?: string[];
  explicitBounds?: number[];
}
interface PlainMetric {
  name: string;
  description?: string;
  unit?: string;
  sum?: { dataPoints?: PlainNumberPoint[]; aggregationTemporality?: number; isMonotonic?: boolean };
  gauge?: { dataPoints?: PlainNumberPoint[] };
  histogram?: { dataPoints?: PlainHistogramPoint[]; aggregationTemporality?: number };
  exponentialHistogram?: { dataPoints?: Array<{ attributes?: PlainKeyValue[]; count?: string; sum?: number; timeUnixNano?: string; startTimeUnixNano?: string }>; aggregationTemporality?: number };
  summary?: { dataPoints?: Array<{ attributes?: PlainKeyValue[]; count?: string; sum?: number; timeUnixNano?: string; startTimeUnixNano?: string }> };
}
interface PlainRequest {
  resourceMetrics?: Array<{
    resource?: { attributes?: PlainKeyValue[] };
    scopeMetrics?: Array<{ scope?: { name?: string; version?: string }; metrics?: PlainMetric[] }>;
  }>;
}

function anyValue(value: PlainAnyValue | undefined): Attributes[string] {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map((item) => anyValue(item)) as string[];
  return undefined;
}

function attributesOf(list: PlainKeyValue[] | undefined): Attributes {
  const attributes: Attributes = {};
  for (const { key, value } of list ?? []) attributes[key] = anyValue(value);
  return attributes;
}

function flatten(request: PlainRequest): OtlpPoint[] {
  const points: OtlpPoint[] = [];
  for (const resourceMetrics of request.resourceMetrics ?? []) {
    const resource = attributesOf(resourceMetrics.resource?.attributes);
    for (const scopeMetrics of resourceMetrics.scopeMetrics ?? []) {
      const scope = { name: scopeMetrics.scope?.name ?? '', version: scopeMetrics.scope?.version ?? '' };
      for (const metric of scopeMetrics.metrics ?? []) {
        const common = { metric: metric.name, unit: metric.unit ?? '', description: metric.description ?? '', resource, scope };
        const times = (point: { startTimeUnixNano?: string; timeUnixNano?: string }) => ({
          startTimeUnixNano: point.startTimeUnixNano ?? '0',
          timeUnixNano: point.timeUnixNano ?? '0',
        });
        const numberValue = (point: PlainNumberPoint) => point.asDouble ?? Number(point.asInt ?? 0);
        for (const point of metric.sum?.dataPoints ?? []) {
          points.push({
            ...common,
            type: 'sum',
            attributes: attributesOf(point.attributes),
            value: numberValue(point),
            isMonotonic: metric.sum?.isMonotonic ?? false,
            temporality: metric.sum?.aggregationTemporality ?? 0,
            ...times(point),
          });
        }
        for (const point of metric.gauge?.dataPoints ?? []) {
          points.push({ ...common, type: 'gauge', attributes: attributesOf(point.attributes), value: numberValue(point), ...times(point) });
        }
        for (const point of metric.histogram?.dataPoints ?? []) {
          points.push({
            ...common,
            type: 'histogram',
            attributes: attributesOf(point.attributes),
            count: Number(point.count ?? 0),
            sum: point.sum ?? 0,
            bucketCounts: (point.bucketCounts ?? []).map(Number),
            explicitBounds: point.explicitBounds ?? [],
            temporality: metric.histogram?.aggregationTemporality ?? 0,
            ...times(point),
          });
        }
        for (const point of metric.exponentialHistogram?.dataPoints ?? []) {
          points.push({
            ...common,
            type: 'exponentialHistogram',
            attributes: attributesOf(point.attributes),
            count: Number(point.count ?? 0),
            sum: point.sum ?? 0,
            ...times(point),
          });
        }
        for (const point of metric.summary?.dataPoints ?? []) {
          points.push({ ...common, type: 'summary', attributes: attributesOf(point.attributes), count: Number(point.count ?? 0), sum: point.sum ?? 0, ...times(point) });
        }
      }
    }
  }
  return points;
}

function seriesKey(point: OtlpPoint): string {
  return JSON.stringify([sorted(point.resource), point.scope.name, point.scope.version, point.metric, sorted(point.attributes)]);
}

// ---- the servers ------------------------------------------------------------

const METRICS_PATH = '/v1/metrics';
const GRPC_EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

function headersOf(request: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

async function readBody(request: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const received: ReceivedExport[] = [];
  const rejected: Array<{ transport: OtlpTransport; error: string }> = [];
  let requests = 0;
  const record = (transport: OtlpTransport, path: string, headers: Record<string, string>, request: PlainRequest) => {
    received.push({ transport, path, headers, points: flatten(request), receivedAt: Date.now() });
  };

  const server = http.createServer((request, response) => {
    void (async () => {
      if (request.method !== 'POST' || request.url !== METRICS_PATH) {
        response.writeHead(404).end();
        return;
      }
      requests += 1;
      const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim();
      const transport: OtlpTransport = contentType === 'application/json' ? 'http/json' : 'http/protobuf';
      try {
        const body = await readBody(request);
        if (contentType !== 'application/json' && contentType !== 'application/x-protobuf') {
          throw new Error(`unexpected content-type "${contentType}"`);
        }
        const decoded = transport === 'http/json' ? decodeJson(body) : decodeProtobuf(body);
        record(transport, METRICS_PATH, headersOf(request), decoded);
      } catch (error) {
        rejected.push({ transport, error: error instanceof Error ? error.message : String(error) });
        response.writeHead(400, { 'content-type': 'text/plain' }).end('bad request');
        return;
      }
      const status = options.status ?? 200;
      if (transport === 'http/json') {
        response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      } else {
        const { response: responseType } = metricsServiceTypes();
        response.writeHead(status, { 'content-type': 'application/x-protobuf' }).end(Buffer.from(responseType.encode({}).finish()));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const httpEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const grpc = options.grpc ? await startGrpc((headers, request) => record('grpc', GRPC_EXPORT_PATH, headers, request), rejected) : undefined;

  const receiver: OtlpReceiver = {
    httpEndpoint,
    metricsUrl: `${httpEndpoint}${METRICS_PATH}`,
    grpcEndpoint: grpc?.endpoint,
    exports: received,
    get requests() {
      return requests;
    },
    rejected,
    latest() {
      const newest = new Map<string, OtlpPoint>();
      for (const exported of received) {
        for (const point of exported.points) {
          const key = seriesKey(point);
          const known = newest.get(key);
          if (!known || BigInt(point.timeUnixNano) >= BigInt(known.timeUnixNano)) newest.set(key, point);
        }
      }
      return new OtlpMetrics([...newest.values()]);
    },
    all() {
      return new OtlpMetrics(received.flatMap((exported) => exported.points));
    },
    async waitFor(condition, message, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!condition(receiver)) {
        if (Date.now() > deadline) {
          throw new Error(
            `timed out waiting for: ${message} (received ${received.length} exports` +
              `${rejected.length ? `, rejected ${rejected.length}: ${rejected.map((r) => r.error).join('; ')}` : ''})`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    clear() {
      received.length = 0;
      rejected.length = 0;
      requests = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await grpc?.close();
    },
  };
  return receiver;
}

interface GrpcServer {
  endpoint: string;
  close(): Promise<void>;
}

async function startGrpc(
  onExport: (headers: Record<string, string>, request: PlainRequest) => void,
  rejected: Array<{ transport: OtlpTransport; error: string }>,
): Promise<GrpcServer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
  const { request: requestType, response: responseType } = metricsServiceTypes();
  const server = new grpc.Server();
  server.addService(
    {
      Export: {
        path: GRPC_EXPORT_PATH,
        requestStream: false,
        responseStream: false,
        // Keep the raw bytes: decoding happens in the handler so that a bad
        // payload is recorded as rejected rather than failing inside grpc-js.
        requestSerialize: (message: Buffer) => message,
        requestDeserialize: (bytes: Buffer) => bytes,
        responseSerialize: (message: unknown) => Buffer.from(responseType.encode(message).finish()),
        responseDeserialize: (bytes: Buffer) => responseType.decode(bytes),
      },
    },
    {
      Export: (call: import('@grpc/grpc-js').ServerUnaryCall<Buffer, unknown>, callback: import('@grpc/grpc-js').sendUnaryData<unknown>) => {
        try {
          const decoded = requestType.toObject(requestType.decode(call.request), TO_OBJECT) as PlainRequest;
          const headers: Record<string, string> = {};
          for (const [key, value] of Object.entries(call.metadata.getMap())) headers[key] = String(value);
          onExport(headers, decoded);
          callback(null, {});
        } catch (error) {
          rejected.push({ transport: 'grpc', error: error instanceof Error ? error.message : String(error) });
          callback({ code: grpc.status.INVALID_ARGUMENT, details: 'bad request' });
        }
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000).unref();
      }),
  };
}

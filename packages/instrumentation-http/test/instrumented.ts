import * as http from 'node:http';
import * as https from 'node:https';
import { instrumented as wire, waitFor } from '@connmetrics/test-harness';
import { HttpConnectionInstrumentation } from '../src';
import type { HttpConnectionInstrumentationConfig } from '../src';

/** An enabled instrumentation reading into its own MeterProvider; `stop()` in afterEach. */
export const instrumented = (config: HttpConnectionInstrumentationConfig = {}) => wire(new HttpConnectionInstrumentation(config));

export type Subject = ReturnType<typeof instrumented>;

export { CREATED, REUSED, FAILED, CLOSED, CONNECT, TLS, DNS, OPEN, LIFETIME, QUEUE } from '@connmetrics/test-harness';

export interface Answer {
  status: number;
  body: string;
  /** Node's own view, for comparison: false for a queued request handed a freed socket. */
  reusedSocket: boolean;
}

/** One request with node:http or node:https, its body read to the end. */
export function get(url: string | URL, options: https.RequestOptions = {}): Promise<Answer> {
  const target = new URL(url);
  const module = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = module.get(target, options, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, reusedSocket: request.reusedSocket }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

/** `count` requests one after the other. */
export async function sequential(count: number, url: string | URL, options: https.RequestOptions = {}): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < count; i += 1) answers.push(await get(url, options));
  return answers;
}

/** `count` requests at once. */
export function parallel(count: number, url: string | URL, options: https.RequestOptions = {}): Promise<Answer[]> {
  return Promise.all(Array.from({ length: count }, () => get(url, options)));
}

/** Attributes of every connection metric for a loopback server. */
export const server = (address: string, port: number) => ({
  'network.protocol.name': 'http',
  'server.address': address,
  'server.port': port,
});

/** Counts of a histogram point at or below each bucket boundary (`le`). */
export function countAtMost(value: unknown, boundary: number): number {
  const { buckets } = value as { buckets: { boundaries: number[]; counts: number[] } };
  let sum = 0;
  buckets.boundaries.forEach((b, index) => {
    if (b <= boundary) sum += buckets.counts[index]!;
  });
  return sum;
}

/** Connections in an agent's lists: in use (`sockets`) and idle (`freeSockets`). */
export function pooled(agent: http.Agent): { active: number; idle: number } {
  const count = (lists: NodeJS.ReadOnlyDict<unknown[]>) => Object.values(lists).reduce((sum, list) => sum + (list?.length ?? 0), 0);
  return { active: count(agent.sockets), idle: count(agent.freeSockets) };
}

/**
 * Waits until the agent has put every connection back in its idle list. Node
 * frees a socket once both the response ended and the request finished
 * writing, which can be a tick after the response's 'end'.
 */
export function settled(agent: http.Agent): Promise<void> {
  return waitFor(() => pooled(agent).active === 0, 'every connection back in the idle list');
}

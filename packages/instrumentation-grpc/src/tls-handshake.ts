/*
 * TLS handshakes that grpc-js (1.13 and later) runs on its own, already
 * connected TCP socket with `tls.connect({ socket })`. Node announces no
 * channel for those, so the shared socket timing never sees them; the
 * grpc-js patch times them from the start of TLS to the moment grpc-js has
 * the secured socket (the `secureConnect` callback), with the same
 * attributes the shared timing uses.
 */
import { performance } from 'node:perf_hooks';
import type { Attributes, Histogram } from '@opentelemetry/api';
import { errorType, seconds, tlsHandshakeAttributes, tlsOutcomeOf } from '@connmetrics/core';
import type { SecureConnectResult } from './grpc-js-shapes';

export class TlsHandshakeTimer {
  private readonly startedAt = performance.now();

  constructor(
    private readonly histogram: () => Histogram,
    private readonly attributes: Attributes,
  ) {}

  /** The connector resolved: a TLS handshake finished, or the connection is plaintext. */
  succeeded(result: unknown): void {
    const { socket, secure } = (result ?? {}) as SecureConnectResult;
    if (secure !== true || typeof socket !== 'object' || socket === null) return;
    this.histogram().record(this.elapsed(), tlsHandshakeAttributes(this.attributes, tlsOutcomeOf(socket)));
  }

  /** The connector rejected: the handshake failed (a certificate error, a reset). */
  failed(error: unknown): void {
    this.histogram().record(this.elapsed(), tlsHandshakeAttributes(this.attributes, { resumed: false, error: errorType(error) }));
  }

  private elapsed(): number {
    return seconds(this.startedAt);
  }
}

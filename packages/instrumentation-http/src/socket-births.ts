/*
 * Client sockets as `net.client.socket` announces them: when each started
 * connecting, and which one was announced last in the current synchronous
 * run (an agent creates a request's socket inside the request's
 * constructor, just before `http.client.request.created`). The birth time is
 * a field on the socket itself rather than a map entry: every new connection
 * passes here, and a field costs less than a WeakMap entry and goes with the
 * socket.
 */
import { performance } from 'node:perf_hooks';

const BORN_AT = Symbol('connmetrics.http.bornAt');
type Born = { [BORN_AT]?: number };

export class SocketBirths {
  private last: object | undefined;
  private clearScheduled = false;
  /** One function for every microtask, so that a new socket allocates no closure. */
  private readonly clear = () => {
    this.clearScheduled = false;
    this.last = undefined;
  };

  born(socket: object): void {
    (socket as Born)[BORN_AT] = performance.now();
    this.last = socket;
    if (!this.clearScheduled) {
      this.clearScheduled = true;
      queueMicrotask(this.clear);
    }
  }

  /** The socket announced last in this synchronous run, taken (a later call returns undefined). */
  takeLast(): object | undefined {
    const last = this.last;
    this.last = undefined;
    return last;
  }

  /** When a socket started connecting, if it did while enabled (births before a disable() are forgotten with `since`). */
  at(socket: object | null | undefined, since: number): number | undefined {
    const bornAt = socket ? (socket as Born)[BORN_AT] : undefined;
    return bornAt !== undefined && bornAt >= since ? bornAt : undefined;
  }
}

/*
 * Client sockets as `net.client.socket` announces them: when each started
 * connecting, and which one was announced last in the current synchronous
 * run (an agent creates a request's socket inside the request's
 * constructor, just before `http.client.request.created`).
 */
import { performance } from 'node:perf_hooks';

export class SocketBirths {
  private readonly bornAt = new WeakMap<object, number>();
  private last: object | undefined;
  private clearScheduled = false;
  /** One function for every microtask, so that a new socket allocates no closure. */
  private readonly clear = () => {
    this.clearScheduled = false;
    this.last = undefined;
  };

  born(socket: object): void {
    this.bornAt.set(socket, performance.now());
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

  /** When a socket started connecting, if it did while enabled. */
  at(socket: object | null | undefined): number | undefined {
    return socket ? this.bornAt.get(socket) : undefined;
  }
}

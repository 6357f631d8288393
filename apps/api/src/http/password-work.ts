import { AppError } from '@paddock/contracts';
import type { FastifyReply } from 'fastify';

export interface PasswordWorkLimits {
  /** Password hashes/verifications running at once (each scrypt call holds 32 MiB and a libuv thread). */
  concurrency: number;
  /** Requests waiting for a slot; past this a request is refused at once instead of waiting. */
  queue: number;
}

export interface PasswordWorkStats {
  active: number;
  waiting: number;
  /** Highest `active` and `waiting` seen since start: what tests (and metrics) check the bound against. */
  peakActive: number;
  peakWaiting: number;
  refused: number;
}

/**
 * A semaphore with a bounded queue around every request that runs scrypt (logins, signup with a password, password
 * changes). scrypt runs on libuv's small thread pool: without a cap, a login flood queues thousands of 32 MiB jobs
 * there, starving DNS and file work and growing memory without bound. With it, at most `concurrency + queue`
 * requests hold password work and the rest get 503 `overloaded` with Retry-After straight away.
 */
export class PasswordWorkGate {
  #active = 0;
  #waiting: Array<() => void> = [];
  #peakActive = 0;
  #peakWaiting = 0;
  #refused = 0;

  constructor(readonly limits: PasswordWorkLimits) {}

  async run<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T> {
    if (this.#active >= this.limits.concurrency) {
      if (this.#waiting.length >= this.limits.queue) {
        this.#refused++;
        reply.header('retry-after', 1);
        throw new AppError('overloaded', 'Too many logins and password changes at once; try again in a second.');
      }
      // The releasing request hands its slot over directly (active is not decremented), so no newcomer can jump in.
      await new Promise<void>((resolve) => {
        this.#waiting.push(resolve);
        this.#peakWaiting = Math.max(this.#peakWaiting, this.#waiting.length);
      });
    } else {
      this.#active++;
    }
    this.#peakActive = Math.max(this.#peakActive, this.#active);
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }

  stats(): PasswordWorkStats {
    return {
      active: this.#active,
      waiting: this.#waiting.length,
      peakActive: this.#peakActive,
      peakWaiting: this.#peakWaiting,
      refused: this.#refused,
    };
  }
}

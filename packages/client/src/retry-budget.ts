export interface RetryBudgetOptions {
  /** Retries earned per call made: 0.1 lets retries add at most 10 % to the calls sent. */
  ratio?: number;
  /**
   * Retries allowed before any call has earned one, and the most that can be saved up: a quiet
   * client can still retry its few calls, a busy one cannot bank thousands for an outage.
   */
  floor?: number;
}

/**
 * A token bucket shared by every call of one client. Each call deposits `ratio` tokens (up to
 * `floor`), each retry spends one. When the server is down every call fails, the bucket drains
 * and further calls fail at once instead of multiplying the load by the retry count (the
 * retry-storm problem; gRPC's retry throttling and Finagle's RetryBudget work the same way).
 * No clock: the budget refills only as calls are made, so its behaviour is deterministic.
 */
export class RetryBudget {
  readonly #ratio: number;
  readonly #capacity: number;
  #tokens: number;

  constructor({ ratio = 0.1, floor = 10 }: RetryBudgetOptions = {}) {
    if (!(ratio >= 0) || !(floor >= 0)) throw new RangeError('retry budget ratio and floor must be ≥ 0');
    this.#ratio = ratio;
    this.#capacity = floor;
    this.#tokens = floor;
  }

  /** A call (not a retry) was made. */
  deposit(): void {
    this.#tokens = Math.min(this.#capacity, this.#tokens + this.#ratio);
  }

  /** Takes the token for one retry; false when the budget is spent. */
  withdraw(): boolean {
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  get available(): number {
    return this.#tokens;
  }
}

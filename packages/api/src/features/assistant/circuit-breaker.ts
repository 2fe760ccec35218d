import { UpstreamError } from './provider.ts';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  threshold: number;
  /** How long it stays open before one trial call is let through. */
  cooldownMs: number;
  now?: () => number;
  onStateChange?: (state: 'closed' | 'open' | 'half_open') => void;
}

/**
 * Fails fast while the upstream is down: after `threshold` consecutive failures, calls are refused
 * for `cooldownMs`; then one trial call decides whether it closes again.
 */
export class CircuitBreaker {
  #failures = 0;
  #openedAt: number | undefined;
  #trialInFlight = false;
  readonly #options: CircuitBreakerOptions;

  constructor(options: CircuitBreakerOptions) {
    this.#options = options;
  }

  get state(): 'closed' | 'open' | 'half_open' {
    if (this.#openedAt === undefined) return 'closed';
    return this.#now() - this.#openedAt >= this.#options.cooldownMs ? 'half_open' : 'open';
  }

  /** Runs `call` unless the circuit is open; `countsAsFailure` says which errors trip it. */
  async run<T>(call: () => Promise<T>, countsAsFailure: (error: unknown) => boolean): Promise<T> {
    const state = this.state;
    if (state === 'open' || (state === 'half_open' && this.#trialInFlight)) throw new UpstreamError('circuit_open');
    const trial = state === 'half_open';
    if (trial) this.#trialInFlight = true;
    try {
      const result = await call();
      this.#succeeded();
      return result;
    } catch (error) {
      if (countsAsFailure(error)) this.#failed(trial);
      else if (trial) this.#succeeded();
      throw error;
    } finally {
      if (trial) this.#trialInFlight = false;
    }
  }

  #now() {
    return (this.#options.now ?? Date.now)();
  }

  #succeeded() {
    if (this.#openedAt !== undefined) this.#options.onStateChange?.('closed');
    this.#failures = 0;
    this.#openedAt = undefined;
  }

  #failed(trial: boolean) {
    this.#failures += 1;
    if (trial || (this.#openedAt === undefined && this.#failures >= this.#options.threshold)) {
      this.#openedAt = this.#now();
      this.#options.onStateChange?.('open');
    }
  }
}

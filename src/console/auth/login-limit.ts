import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';

// Failed sign-ins are limited per address and in all: a guesser gets a few tries a quarter hour, and many
// addresses together get no more than a few dozen. A success does not count. Behind a reverse proxy every
// request comes from the proxy's address, so the limit holds for all visitors at once: the safe side.

export interface LoginLimits {
  perAddress: number;
  overall: number;
  windowSeconds: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perAddress: 5, overall: 50, windowSeconds: 15 * 60 };

export class LoginLimit {
  private readonly byAddress: RateLimiterMemory;
  private readonly overall: RateLimiterMemory;

  constructor(limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {
    this.byAddress = new RateLimiterMemory({ points: limits.perAddress, duration: limits.windowSeconds });
    this.overall = new RateLimiterMemory({ points: limits.overall, duration: limits.windowSeconds });
  }

  /** Seconds until `address` may try again; 0 when it may now. */
  async waitFor(address: string): Promise<number> {
    const [mine, all] = await Promise.all([this.byAddress.get(address), this.overall.get('all')]);
    const blocked = [mine, all].filter((r): r is RateLimiterRes => r !== null && r.remainingPoints <= 0);
    return blocked.length ? Math.ceil(Math.max(...blocked.map((r) => r.msBeforeNext)) / 1000) : 0;
  }

  /** Counts a failed attempt. */
  async failed(address: string): Promise<void> {
    await Promise.all([this.byAddress.penalty(address, 1), this.overall.penalty('all', 1)]);
  }
}

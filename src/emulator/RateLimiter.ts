/**
 * RingCentral's per-app, per-user rate limit groups: a fixed window of requests, then a penalty that every
 * request made during it starts again.
 */

export interface RateLimitGroup {
  readonly name: "Auth" | "Light"
  readonly limit: number
  readonly windowSeconds: number
  readonly penaltySeconds: number
}

export interface RateDecision {
  readonly allowed: boolean
  readonly headers: Record<string, string>
}

interface Counter {
  windowStart: number
  count: number
  penaltyUntil: number
}

export class RateLimiter {
  private readonly counters = new Map<string, Counter>()
  readonly group: RateLimitGroup
  /** `false` switches enforcement off; the headers are still sent. */
  readonly enforce: boolean

  constructor(group: RateLimitGroup, enforce: boolean) {
    this.group = group
    this.enforce = enforce
  }

  hit(key: string, nowMs: number): RateDecision {
    const { limit, windowSeconds, name } = this.group
    const base = {
      "X-Rate-Limit-Group": name,
      "X-Rate-Limit-Limit": String(limit),
      "X-Rate-Limit-Window": String(windowSeconds)
    }
    let counter = this.counters.get(key)
    if (counter === undefined) {
      counter = { windowStart: nowMs, count: 0, penaltyUntil: 0 }
      this.counters.set(key, counter)
    }
    if (this.enforce && nowMs < counter.penaltyUntil) {
      return this.penalize(counter, nowMs, base)
    }
    if (nowMs >= counter.windowStart + windowSeconds * 1000) {
      counter.windowStart = nowMs
      counter.count = 0
    }
    counter.count += 1
    if (this.enforce && counter.count > limit) {
      return this.penalize(counter, nowMs, base)
    }
    return { allowed: true, headers: { ...base, "X-Rate-Limit-Remaining": String(Math.max(0, limit - counter.count)) } }
  }

  private penalize(counter: Counter, nowMs: number, base: Record<string, string>): RateDecision {
    counter.penaltyUntil = nowMs + this.group.penaltySeconds * 1000
    const retryAfter = String(this.group.penaltySeconds)
    return { allowed: false, headers: { ...base, "X-Rate-Limit-Remaining": "0", "Retry-After": retryAfter } }
  }

  reset(): void {
    this.counters.clear()
  }
}

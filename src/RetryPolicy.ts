/**
 * What to retry and how long to wait, as RingCentral advises: only transient failures (5xx, 429, 408, timeouts,
 * broken connections), with jittered exponential backoff, honouring `Retry-After` (at least 30 s on a 429 or
 * 503 that gives none), a bounded number of times. A wait longer than the cap fails at once with `RateLimited`.
 * A 4xx rejection is never retried: every login attempt counts against the 5-a-minute quota.
 */
import { Clock, Duration, Effect, Ref, Schedule } from "effect"
import { RateLimited, type TokenError } from "./Errors.ts"
import { fields } from "./Logging.ts"

export interface RetryPolicy {
  readonly maxRetries: number
  readonly maxRetryWaitMs: number
  /** The first backoff delay; each retry doubles it. Default 500 ms. */
  readonly baseDelayMs?: number
}

/** RingCentral: "Without the header, wait at least 30 s". */
const defaultServerWaitMs = 30_000

/** The wait the server asked for, or implies, before trying again; undefined when backoff decides. */
export const serverWaitMs = (error: TokenError): number | undefined => {
  if (error._tag !== "RateLimited" && error._tag !== "ServiceUnavailable") return undefined
  if (error.retryAfter !== undefined) return Duration.toMillis(error.retryAfter)
  return error.status === 429 || error.status === 503 ? defaultServerWaitMs : undefined
}

const exceedsCap = (error: TokenError, policy: RetryPolicy) =>
  error.retryable && (serverWaitMs(error) ?? 0) > policy.maxRetryWaitMs

const schedule = (policy: RetryPolicy) =>
  Schedule.exponential(Duration.millis(policy.baseDelayMs ?? 500), 2).pipe(
    Schedule.jittered,
    Schedule.setInputType<TokenError>(),
    Schedule.modifyDelay(({ input, duration }) => {
      const wait = serverWaitMs(input)
      return Effect.succeed(wait === undefined ? duration : Duration.millis(wait))
    }),
    Schedule.upTo({ times: policy.maxRetries })
  )

/**
 * Runs `attempt`, retrying it under the policy. Each attempt's log lines carry its number, and `attempts`
 * counts them for the caller.
 */
export const retryTransient = <A, R>(
  attempt: Effect.Effect<A, TokenError, R>,
  policy: RetryPolicy,
  attempts: Ref.Ref<number>
): Effect.Effect<A, TokenError, R> =>
  Ref.updateAndGet(attempts, (n) => n + 1).pipe(
    Effect.flatMap((n) =>
      attempt.pipe(
        Effect.tapError((error) =>
          error.retryable && !exceedsCap(error, policy) && n <= policy.maxRetries
            ? Effect.logWarning("transient failure: retrying").pipe(Effect.annotateLogs(fields({
              error: error._tag,
              status: error.status,
              errorCode: error.errorCode,
              waitMs: serverWaitMs(error)
            })))
            : Effect.void
        ),
        Effect.annotateLogs({ attempt: n })
      )
    ),
    Effect.retry({ schedule: schedule(policy), while: (error) => error.retryable && !exceedsCap(error, policy) }),
    Effect.catch((error) => {
      if (!exceedsCap(error, policy)) return Effect.fail(error)
      const waitMs = serverWaitMs(error) ?? 0
      return Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.fail(
          new RateLimited({
            errorCode: error.errorCode,
            status: error.status,
            description: `the server asked to wait ${Math.ceil(waitMs / 1000)} s, longer than RINGCENTRAL_MAX_RETRY_WAIT_MS (${policy.maxRetryWaitMs} ms)`,
            retryAfter: Duration.millis(waitMs),
            retryAt: new Date(now + waitMs).toISOString()
          })
        ))
    })
  )

/**
 * The interface the JWT and password authenticators share: a method name and a login that sends one token
 * request per attempt and retries only transient failures.
 */
import { Effect, Ref } from "effect"
import { AuthConfig, type AuthMethod } from "./AuthConfig.ts"
import type { ConfigError, TokenError } from "./Errors.ts"
import { retryTransient } from "./RetryPolicy.ts"
import type { Token } from "./Token.ts"
import { type Grant, TokenEndpoint } from "./TokenEndpoint.ts"

export interface Authenticator {
  readonly method: AuthMethod
  /** Logs in, retrying transient failures under the configured policy. */
  readonly login: Effect.Effect<Token, TokenError | ConfigError>
}

/** Builds an authenticator from the grant it sends; the grant fails when its credentials are not configured. */
export const make = (method: AuthMethod, grant: Effect.Effect<Grant, ConfigError, AuthConfig>) =>
  Effect.gen(function*() {
    const config = yield* AuthConfig
    const endpoint = yield* TokenEndpoint
    const login = Effect.gen(function*() {
      const form = yield* grant
      const attempts = yield* Ref.make(0)
      return yield* retryTransient(endpoint.request(form), config, attempts)
    }).pipe(Effect.provideService(AuthConfig, config), Effect.annotateLogs({ method }))
    return { method, login } satisfies Authenticator
  })

/**
 * The authentication pipeline: JWT first, and the password grant only when RingCentral answers the JWT login
 * with OAU-251 (the app is not allowed the JWT grant), password credentials are configured, and fallback is
 * on. Any other rejection stops here: a wrong JWT never quietly turns into a password login.
 */
import { Context, Effect, Layer } from "effect"
import { AuthConfig, type AuthMethod, type AuthSettings } from "./AuthConfig.ts"
import type { ConfigError, TokenError } from "./Errors.ts"
import { JwtAuth } from "./JwtAuth.ts"
import { PasswordAuth } from "./PasswordAuth.ts"
import type { Token } from "./Token.ts"
import { TokenEndpoint } from "./TokenEndpoint.ts"
import { fields } from "./Logging.ts"

export interface AuthResult {
  readonly token: Token
  readonly method: AuthMethod
  /** True when the JWT grant was refused with OAU-251 and the password grant logged in instead. */
  readonly fallback: boolean
  /** Token requests sent, retries and fallback included. */
  readonly attempts: number
}

export interface AuthenticationService {
  readonly login: Effect.Effect<AuthResult, TokenError | ConfigError>
}

/** The client id cut to its first 4 characters: enough to tell apps apart in a log, not enough to use. */
export const shortClientId = (clientId: string) => `${clientId.slice(0, 4)}…`

/** The auth status line: the method, which credentials are present (names only) and the shortened client id. */
export const logStatus = (config: AuthSettings) =>
  Effect.logInfo("auth status").pipe(Effect.annotateLogs(fields({
    method: config.method,
    server: config.server,
    clientId: shortClientId(config.clientId),
    credentials: AuthConfig.credentialNames(config).join(","),
    passwordFallback: config.method === "jwt" && config.passwordFallback && config.password !== undefined
  })))

export class Authentication extends Context.Service<Authentication, AuthenticationService>()("ringcentral-effect-auth/Authentication") {
  static readonly layer = Layer.effect(
    Authentication,
    Effect.gen(function*() {
      const config = yield* AuthConfig
      const jwt = yield* JwtAuth
      const password = yield* PasswordAuth
      const endpoint = yield* TokenEndpoint

      const fallBack = password.login.pipe(
        Effect.map((token) => ({ token, method: "password" as const, fallback: true })),
        Effect.tap(() => Effect.logWarning("logged in with the deprecated password grant after OAU-251: enable the JWT grant for this app"))
      )
      const pipeline = config.method === "password"
        ? Effect.map(password.login, (token) => ({ token, method: "password" as const, fallback: false }))
        : jwt.login.pipe(
          Effect.map((token) => ({ token, method: "jwt" as const, fallback: false })),
          Effect.catchTag("UnauthorizedClient", (error) => {
            if (config.password === undefined || !config.passwordFallback) return Effect.fail(error)
            return Effect.logWarning("the app is not allowed the JWT grant (OAU-251): falling back to the deprecated password grant").pipe(
              Effect.annotateLogs(fields({ errorCode: error.errorCode, status: error.status })),
              Effect.andThen(fallBack)
            )
          })
        )

      const login = Effect.gen(function*() {
        yield* logStatus(config)
        for (const warning of config.warnings) yield* Effect.logWarning(warning)
        const before = yield* endpoint.requestCount
        const outcome = yield* pipeline.pipe(
          Effect.tapError((error) =>
            Effect.flatMap(endpoint.requestCount, (after) =>
              Effect.logError(error.message).pipe(
                Effect.annotateLogs(fields({ error: error._tag, status: error.status, errorCode: error.errorCode, attempts: after - before, hint: error.hint }))
              ))
          )
        )
        const attempts = (yield* endpoint.requestCount) - before
        yield* Effect.logInfo("authenticated").pipe(Effect.annotateLogs(fields({ method: outcome.method, fallback: outcome.fallback, attempts })))
        return { ...outcome, attempts }
      }).pipe(Effect.withLogSpan("auth"))

      return Authentication.of({ login })
    })
  )

  /** The pipeline with its authenticators and token endpoint; needs `AuthConfig` and an `HttpClient`. */
  static readonly layerAll = Authentication.layer.pipe(
    Layer.provide(Layer.mergeAll(JwtAuth.layer, PasswordAuth.layer)),
    Layer.provideMerge(TokenEndpoint.layer)
  )
}

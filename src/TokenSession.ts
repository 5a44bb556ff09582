/**
 * One session shared by every caller, and through a shared store by every process. Callers get the cached
 * access token; in the soft window before expiry one of them refreshes in the background while the others
 * keep the cached token; in the hard window, or with no token, they wait for that one refresh. Concurrent
 * callers share one in-flight login or refresh, and a failure is not cached. Across processes the store's lock
 * lets exactly one refresh, and the others read its result.
 */
import { Clock, Context, Deferred, Duration, Effect, Layer, Option, Redacted, Ref, Scope } from "effect"
import { AuthConfig } from "./AuthConfig.ts"
import { Authentication, type AuthResult } from "./Authentication.ts"
import type { ConfigError, TokenError } from "./Errors.ts"
import { fields } from "./Logging.ts"
import { retryTransient } from "./RetryPolicy.ts"
import type { Token } from "./Token.ts"
import { TokenEndpoint } from "./TokenEndpoint.ts"
import { makeMemory, sessionKey, type StoreUnavailable, TokenStore, type TokenStoreService } from "./TokenStore.ts"

export interface SessionOptions {
  /** Before expiry, when one caller refreshes in the background. Default 5 minutes. */
  readonly softWindow?: Duration.Input
  /** Before expiry, when callers wait for the refresh. Default 30 seconds. */
  readonly hardWindow?: Duration.Input
}

/** How the current token came to this process. */
export interface SessionInfo {
  /** Set when this process logged in (rather than finding a token in the store). */
  readonly login: Omit<AuthResult, "token"> | undefined
  readonly refreshes: number
}

export interface TokenSessionService {
  /** A valid access token: cached, refreshed proactively, shared. */
  readonly token: Effect.Effect<Token, TokenError | ConfigError>
  /**
   * After an API call answered 401 with `rejected`: one re-authentication. A newer token in the store is used
   * as is; otherwise it logs in again.
   */
  readonly reauthenticate: (rejected: Token) => Effect.Effect<Token, TokenError | ConfigError>
  readonly info: Effect.Effect<SessionInfo>
  /** Ends the session if this process opened it, and drops it from the store. */
  readonly revokeIfOpenedHere: Effect.Effect<boolean>
  /** The store's name, for log lines. */
  readonly store: string
  /** Whether other processes share this session through the store. */
  readonly shared: boolean
}

const isStoreUnavailable = (error: unknown): error is StoreUnavailable =>
  typeof error === "object" && error !== null && (error as { _tag?: unknown })._tag === "StoreUnavailable"

const sameToken = (a: Token | undefined, b: Token | undefined) =>
  a !== undefined && b !== undefined && Redacted.value(a.accessToken) === Redacted.value(b.accessToken)

export class TokenSession extends Context.Service<TokenSession, TokenSessionService>()("ringcentral-effect-auth/TokenSession") {
  static readonly layer = (options: SessionOptions = {}) =>
    Layer.effect(
      TokenSession,
      Effect.gen(function*() {
        const config = yield* AuthConfig
        const authentication = yield* Authentication
        const endpoint = yield* TokenEndpoint
        const shared = yield* TokenStore
        const scope = yield* Scope.Scope
        const fallbackStore = yield* makeMemory
        const softMs = Duration.toMillis(Duration.fromInputUnsafe(options.softWindow ?? "5 minutes"))
        const hardMs = Duration.toMillis(Duration.fromInputUnsafe(options.hardWindow ?? "30 seconds"))
        const key = sessionKey(config.server, config.clientId, config.sessionUser)

        let cached: Token | undefined
        let inflight: Deferred.Deferred<Token, TokenError | ConfigError> | undefined
        let login: SessionInfo["login"]
        let openedToken: Token | undefined
        const refreshes = yield* Ref.make(0)

        // A store that is down is not an outage: warn once, go on per process, and try it again on each use.
        let storeDown = false
        const resilient = <A>(use: (store: TokenStoreService) => Effect.Effect<A, StoreUnavailable>) =>
          use(shared).pipe(
            Effect.tap(() =>
              storeDown
                ? Effect.andThen(Effect.sync(() => (storeDown = false)), Effect.logInfo("the token store is back").pipe(Effect.annotateLogs({ store: shared.name })))
                : Effect.void
            ),
            Effect.catchTag("StoreUnavailable", (error) =>
              Effect.gen(function*() {
                if (!storeDown) {
                  storeDown = true
                  yield* Effect.logWarning(`${error.message}; going on with a per-process session`).pipe(Effect.annotateLogs({ store: shared.name }))
                }
                // The memory store cannot fail.
                return yield* Effect.orDie(use(fallbackStore))
              }))
          )
        const lockedRenew = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
          shared.withLock(key, effect).pipe(
            Effect.catch((error: E | StoreUnavailable) => {
              if (!isStoreUnavailable(error)) return Effect.fail(error)
              const warn = storeDown
                ? Effect.void
                : Effect.andThen(
                  Effect.sync(() => (storeDown = true)),
                  Effect.logWarning(`${error.message}; going on with a per-process session`).pipe(Effect.annotateLogs({ store: shared.name }))
                )
              return Effect.andThen(
                warn,
                // The memory store's lock cannot fail.
                fallbackStore.withLock(key, effect) as Effect.Effect<A, E>
              )
            })
          )

        const logIn = Effect.gen(function*() {
          const result = yield* authentication.login
          login = { method: result.method, fallback: result.fallback, attempts: result.attempts }
          openedToken = result.token
          return result.token
        })

        const refreshWith = (base: Token, refreshToken: Redacted.Redacted<string>) =>
          Effect.gen(function*() {
            const attempts = yield* Ref.make(0)
            const token = yield* retryTransient(endpoint.request({ _tag: "refresh_token", refreshToken }), config, attempts).pipe(
              Effect.annotateLogs({ method: "refresh_token" })
            )
            yield* Ref.update(refreshes, (n) => n + 1)
            if (sameToken(openedToken, base)) openedToken = token
            yield* Effect.logInfo("token refreshed").pipe(Effect.annotateLogs({ expiresAt: new Date(token.expiresAt).toISOString() }))
            return token
          })

        /** The one renewal: under the store's lock, use a token another process just stored, or refresh, or log in. */
        const renew = (rejected: Token | undefined) =>
          lockedRenew(Effect.gen(function*() {
            const now = yield* Clock.currentTimeMillis
            const stored = Option.getOrUndefined(yield* resilient((store) => store.get(key)))
            const usable = (token: Token | undefined): token is Token =>
              token !== undefined && !sameToken(token, rejected) && !sameToken(token, cached) && now < token.expiresAt - softMs
            if (usable(stored)) {
              yield* Effect.logDebug("using the token another caller stored")
              return stored
            }
            const base = stored ?? cached
            let token: Token
            if (rejected !== undefined && (base === undefined || sameToken(base, rejected))) {
              yield* Effect.logWarning("the session was ended elsewhere (401): logging in again")
              token = yield* logIn
            } else if (base?.refreshToken !== undefined && (base.refreshExpiresAt === undefined || now < base.refreshExpiresAt)) {
              token = yield* refreshWith(base, base.refreshToken).pipe(
                Effect.catchTag("InvalidGrant", (error) =>
                  Effect.andThen(
                    Effect.logWarning("the refresh token was refused: logging in again").pipe(
                      Effect.annotateLogs(fields({ errorCode: error.errorCode, status: error.status }))
                    ),
                    logIn
                  ))
              )
            } else {
              token = yield* logIn
            }
            yield* resilient((store) => store.set(key, token))
            return token
          }))

        /** Joins the in-flight renewal, or starts it. Failures reach every waiter and are not kept. */
        const acquire = (rejected: Token | undefined) =>
          Effect.suspend(() => {
            if (inflight === undefined) {
              const deferred = Deferred.makeUnsafe<Token, TokenError | ConfigError>()
              inflight = deferred
              const run = renew(rejected).pipe(
                Effect.tap((token) => Effect.sync(() => (cached = token))),
                Effect.exit,
                Effect.flatMap((exit) =>
                  Effect.sync(() => {
                    inflight = undefined
                    Deferred.doneUnsafe(deferred, exit)
                  })
                )
              )
              return Effect.andThen(Effect.forkIn(run, scope), Deferred.await(deferred))
            }
            return Deferred.await(inflight)
          })

        const token = Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const current = cached
          if (current !== undefined && now < current.expiresAt - softMs) return current
          if (current !== undefined && now < current.expiresAt - hardMs) {
            // Soft window: pick up a refresh another process finished, wait for one under way, else start one.
            if (shared.shared) {
              const stored = Option.getOrUndefined(yield* resilient((store) => store.get(key)))
              if (stored !== undefined && !sameToken(stored, current) && now < stored.expiresAt - softMs) {
                cached = stored
                return stored
              }
              if (inflight === undefined && (yield* resilient((store) => store.isLocked(key)))) return yield* acquire(undefined)
            }
            if (inflight === undefined) yield* Effect.forkIn(Effect.ignore(acquire(undefined)), scope)
            return current
          }
          return yield* acquire(undefined)
        })

        const reauthenticate = (rejected: Token) =>
          Effect.suspend(() => {
            if (cached !== undefined && !sameToken(cached, rejected)) return Effect.succeed(cached)
            return acquire(rejected)
          })

        const revokeIfOpenedHere = Effect.gen(function*() {
          const opened = openedToken
          if (opened === undefined) return false
          yield* endpoint.revoke(opened.accessToken)
          yield* resilient((store) => store.remove(key)).pipe(Effect.ignore)
          cached = undefined
          openedToken = undefined
          return true
        })

        return TokenSession.of({
          token,
          reauthenticate,
          info: Effect.map(Ref.get(refreshes), (n) => ({ login, refreshes: n })),
          revokeIfOpenedHere,
          store: shared.name,
          shared: shared.shared
        })
      })
    )

  /** The session with the pipeline under it; needs `AuthConfig`, a `TokenStore` and an `HttpClient`. */
  static readonly layerAll = (options: SessionOptions = {}) =>
    TokenSession.layer(options).pipe(Layer.provideMerge(Authentication.layerAll))
}

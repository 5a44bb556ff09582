/**
 * Where a token set lives so that callers, and processes, can share one session: in memory (the default, per
 * process), in a file, or in Redis. A store holds only the token set and its absolute expiry times, keyed by
 * server, client id and user. It holds live credentials: protect it like a password.
 */
import { Context, Data, Effect, Layer, Option, Redacted, Schema, Semaphore } from "effect"
import type { Token } from "./Token.ts"

/** The store could not be reached or written; the session goes on per process and tries it again later. */
export class StoreUnavailable extends Data.TaggedError("StoreUnavailable")<{
  readonly store: string
  readonly reason: string
}> {
  override get message() {
    return `the ${this.store} token store is unavailable: ${this.reason}`
  }
}

export interface TokenStoreService {
  /** `memory`, `file:<path>` or `redis://…`, for log lines. */
  readonly name: string
  /** Whether other processes can see what is stored. */
  readonly shared: boolean
  /** The stored token; a corrupt entry reads as none (and is overwritten by the next `set`). */
  readonly get: (key: string) => Effect.Effect<Option.Option<Token>, StoreUnavailable>
  readonly set: (key: string, token: Token) => Effect.Effect<void, StoreUnavailable>
  readonly remove: (key: string) => Effect.Effect<void, StoreUnavailable>
  /** Runs `effect` holding the store's exclusive lock for `key`, across processes for a shared store. */
  readonly withLock: <A, E, R>(key: string, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StoreUnavailable, R>
  /** Whether some caller holds the lock for `key` right now: a refresh is under way. */
  readonly isLocked: (key: string) => Effect.Effect<boolean, StoreUnavailable>
}

/** The key a session is stored under: server, client id and user, never a secret. */
export const sessionKey = (server: string, clientId: string, user: string) => `${server}|${clientId}|${user}`

const StoredToken = Schema.Struct({
  accessToken: Schema.NonEmptyString,
  refreshToken: Schema.optionalKey(Schema.NonEmptyString),
  tokenType: Schema.String,
  expiresAt: Schema.Finite,
  refreshExpiresAt: Schema.optionalKey(Schema.Finite),
  scope: Schema.Array(Schema.String),
  ownerId: Schema.optionalKey(Schema.String),
  endpointId: Schema.optionalKey(Schema.String),
  sessionId: Schema.optionalKey(Schema.String)
})

/** The stored form: the token set with plain values, which is why a store is as sensitive as a password. */
export const encodeToken = (token: Token): typeof StoredToken.Type => ({
  accessToken: Redacted.value(token.accessToken),
  ...(token.refreshToken === undefined ? {} : { refreshToken: Redacted.value(token.refreshToken) }),
  tokenType: token.tokenType,
  expiresAt: token.expiresAt,
  ...(token.refreshExpiresAt === undefined ? {} : { refreshExpiresAt: token.refreshExpiresAt }),
  scope: token.scope,
  ...(token.ownerId === undefined ? {} : { ownerId: token.ownerId }),
  ...(token.endpointId === undefined ? {} : { endpointId: token.endpointId }),
  ...(token.sessionId === undefined ? {} : { sessionId: token.sessionId })
})

/** Reads a stored entry back; anything malformed is `None`, never an error. */
export const decodeToken = (value: unknown): Option.Option<Token> =>
  Schema.decodeUnknownOption(StoredToken)(value).pipe(Option.map((stored) => ({
    accessToken: Redacted.make(stored.accessToken),
    refreshToken: stored.refreshToken === undefined ? undefined : Redacted.make(stored.refreshToken),
    tokenType: stored.tokenType,
    expiresAt: stored.expiresAt,
    refreshExpiresAt: stored.refreshExpiresAt,
    scope: stored.scope,
    ownerId: stored.ownerId,
    endpointId: stored.endpointId,
    sessionId: stored.sessionId
  })))

/** A per-process store: a map and an in-process lock. */
export const makeMemory: Effect.Effect<TokenStoreService> = Effect.gen(function*() {
  const tokens = new Map<string, Token>()
  const lock = yield* Semaphore.make(1)
  let locked = 0
  return {
    name: "memory",
    shared: false,
    get: (key) => Effect.sync(() => Option.fromNullishOr(tokens.get(key))),
    set: (key, token) => Effect.sync(() => void tokens.set(key, token)),
    remove: (key) => Effect.sync(() => void tokens.delete(key)),
    withLock: (_key, effect) =>
      Semaphore.withPermit(lock)(Effect.acquireUseRelease(
        Effect.sync(() => locked++),
        () => effect,
        () => Effect.sync(() => locked--)
      )),
    isLocked: () => Effect.sync(() => locked > 0)
  }
})

export class TokenStore extends Context.Service<TokenStore, TokenStoreService>()("ringcentral-effect-auth/TokenStore") {
  static readonly layerMemory: Layer.Layer<TokenStore> = Layer.effect(TokenStore, makeMemory)
}

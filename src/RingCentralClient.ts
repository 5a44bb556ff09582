/**
 * The authenticated client: a `@ringcentral/sdk` Platform that already holds the token, wired to the native
 * fetch, plus an Effect-wrapped `whoami` with typed errors. It is scoped: closing the scope revokes the session
 * it opened, unless told to keep it.
 */
import { SDK } from "@ringcentral/sdk"
import { Clock, Context, Effect, Layer, Redacted, Result, Schema } from "effect"
import { Headers } from "effect/http"
import { AuthConfig } from "./AuthConfig.ts"
import type { AuthResult } from "./Authentication.ts"
import { type ConfigError, InvalidResponse, type TokenError, TransportError } from "./Errors.ts"
import { fields } from "./Logging.ts"
import { type Token, toSdkAuthData } from "./Token.ts"
import { classify, exchange, transportCode } from "./TokenEndpoint.ts"
import { TokenSession } from "./TokenSession.ts"

export type Platform = ReturnType<SDK["platform"]>

export const extensionPath = "/restapi/v1.0/account/~/extension/~"

const ExtensionBody = Schema.Struct({
  id: Schema.Finite,
  extensionNumber: Schema.optionalKey(Schema.String),
  name: Schema.optionalKey(Schema.String),
  status: Schema.optionalKey(Schema.String),
  account: Schema.Struct({ id: Schema.String })
})

export interface Extension {
  readonly id: number
  readonly extensionNumber: string | undefined
  readonly name: string | undefined
  readonly status: string | undefined
  readonly accountId: string
}

export interface RingCentralService {
  /** The SDK platform, logged in. Its token comes from the session: the SDK never logs in or refreshes itself. */
  readonly platform: Platform
  readonly auth: AuthResult
  /** `GET /restapi/v1.0/account/~/extension/~`, the user the token acts as. */
  readonly whoami: Effect.Effect<Extension, TokenError | ConfigError>
}

export interface ClientOptions {
  /** Leave the session open when the scope closes, for a token someone else goes on using. */
  readonly keepSession?: boolean
}

/** A `Storage` of its own for each SDK, so that two clients in one process never share a token. */
class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>()
  get length() {
    return this.items.size
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null
  }
  getItem(key: string) {
    return this.items.get(key) ?? null
  }
  setItem(key: string, value: string) {
    this.items.set(key, value)
  }
  removeItem(key: string) {
    this.items.delete(key)
  }
  clear() {
    this.items.clear()
  }
}

/**
 * Builds the SDK with the native fetch and no client secret: it never makes token requests of its own. Its
 * constructor may `console.warn` (sandbox deprecation); that goes to the Effect logger instead.
 */
const makePlatform = (server: string, clientId: string) =>
  Effect.gen(function*() {
    const warnings: Array<string> = []
    const warn = console.warn
    console.warn = (...args: Array<unknown>) => void warnings.push(args.map(String).join(" "))
    let sdk: SDK
    try {
      sdk = new SDK({ server, clientId, clientSecret: "", fetch, Request, Response, Headers: globalThis.Headers, localStorage: new MemoryStorage() })
    } finally {
      console.warn = warn
    }
    for (const warning of warnings) yield* Effect.logWarning(`@ringcentral/sdk: ${warning}`)
    const platform = sdk.platform()
    // The token's lifetime is managed here, not by the SDK's refresh-on-demand.
    platform.ensureLoggedIn = async () => null
    return platform
  })

interface Answer {
  readonly status: number
  readonly headers: Headers.Headers
  readonly text: string
}

const readAnswer = async (response: Response): Promise<Answer> => ({
  status: response.status,
  headers: Headers.fromInput(response.headers),
  text: await response.clone().text().catch(() => "")
})

/** One API GET through the SDK, with no retry on 401 (the SDK would resend it with no token). */
const get = (platform: Platform, path: string, timeoutMs: number) =>
  exchange(
    Effect.tryPromise({
      try: async () => {
        try {
          return await readAnswer(await platform.get(path, undefined, { retry: true }))
        } catch (error) {
          const response = (error as { response?: unknown }).response
          if (response instanceof Response) return await readAnswer(response)
          throw error
        }
      },
      catch: (error) => new TransportError({ errorCode: undefined, status: undefined, description: transportCode(error) })
    }),
    timeoutMs
  )

const sameAccessToken = (a: Token, b: Token) => Redacted.value(a.accessToken) === Redacted.value(b.accessToken)

export class RingCentral extends Context.Service<RingCentral, RingCentralService>()("ringcentral-effect-auth/RingCentral") {
  /**
   * A logged-in client whose token comes from the `TokenSession`: the SDK's `ensureLoggedIn` delegates to it, so
   * refreshes are proactive and shared, and a 401 leads to one re-authentication and one retry.
   */
  static readonly layer = (options: ClientOptions = {}) =>
    Layer.effect(
      RingCentral,
      Effect.gen(function*() {
        const config = yield* AuthConfig
        const session = yield* TokenSession
        const services = yield* Effect.context<never>()
        const run = Effect.runPromiseWith(services)

        let current = yield* session.token
        yield* Effect.addFinalizer(() =>
          options.keepSession
            ? Effect.logInfo("session kept open")
            : Effect.flatMap(session.revokeIfOpenedHere, (revoked) =>
              Effect.logInfo(revoked ? "session revoked" : "session left open: another process opened it"))
        )
        const info = yield* session.info
        const auth: AuthResult = {
          token: current,
          ...(info.login ?? { method: config.method, fallback: false, attempts: 0 })
        }

        const platform = yield* makePlatform(config.server, config.clientId)
        const install = (token: Token) =>
          Effect.promise(async () => {
            await platform.auth().setData(toSdkAuthData(token, Date.now()))
            current = token
          })
        yield* install(current)
        // The SDK asks before every request. An emptied access token means it just got a 401 and will retry once.
        platform.ensureLoggedIn = async () => {
          const data = await platform.auth().data()
          const next = await run(data.access_token === "" ? session.reauthenticate(current) : session.token)
          if (!sameAccessToken(next, current) || data.access_token === "") await run(install(next))
          return null
        }

        const fetchExtension = Effect.gen(function*() {
          yield* Effect.flatMap(session.token, (token) => sameAccessToken(token, current) ? Effect.void : install(token))
          const started = yield* Clock.currentTimeMillis
          const answer = yield* get(platform, extensionPath, config.timeoutMs)
          const now = yield* Clock.currentTimeMillis
          yield* Effect.logDebug("whoami").pipe(Effect.annotateLogs(fields({ status: answer.status, elapsed: now - started })))
          if (answer.status !== 200) return yield* Effect.fail(classify("api", answer.status, answer.headers, answer.text, now))
          const body = Schema.decodeUnknownResult(Schema.fromJsonString(ExtensionBody))(answer.text)
          if (Result.isFailure(body)) {
            return yield* Effect.fail(new InvalidResponse({ errorCode: undefined, status: answer.status, description: "the extension response has no numeric id or account id" }))
          }
          const { id, extensionNumber, name, status, account } = body.success
          return { id, extensionNumber, name, status, accountId: account.id } satisfies Extension
        })
        // A 401 means the session ended elsewhere: one re-authentication, one retry, never a loop.
        const whoami = fetchExtension.pipe(
          Effect.catchIf(
            (error) => error._tag === "Rejected" && error.status === 401,
            () => Effect.andThen(Effect.flatMap(session.reauthenticate(current), install), fetchExtension)
          ),
          Effect.withLogSpan("whoami")
        )

        return RingCentral.of({ platform, auth, whoami })
      })
    )
}

/**
 * The authenticated client: a `@ringcentral/sdk` Platform that already holds the token, wired to the native
 * fetch, plus an Effect-wrapped `whoami` with typed errors. It is scoped: closing the scope revokes the session
 * it opened, unless told to keep it.
 */
import { SDK } from "@ringcentral/sdk"
import { Clock, Context, Effect, Layer, Result, Schema } from "effect"
import { Headers } from "effect/http"
import { AuthConfig } from "./AuthConfig.ts"
import { Authentication, type AuthResult } from "./Authentication.ts"
import { InvalidResponse, type TokenError, TransportError } from "./Errors.ts"
import { toSdkAuthData } from "./Token.ts"
import { classify, exchange, TokenEndpoint, transportCode } from "./TokenEndpoint.ts"
import { fields } from "./Logging.ts"

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
  /** The SDK platform, logged in. Its own refresh is off: the token belongs to this library. */
  readonly platform: Platform
  readonly auth: AuthResult
  /** `GET /restapi/v1.0/account/~/extension/~`, the user the token acts as. */
  readonly whoami: Effect.Effect<Extension, TokenError>
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

export class RingCentral extends Context.Service<RingCentral, RingCentralService>()("ringcentral-effect-auth/RingCentral") {
  /** Authenticates through the pipeline and hands out a logged-in client; needs `Authentication.layerAll`. */
  static readonly layer = (options: ClientOptions = {}) =>
    Layer.effect(
      RingCentral,
      Effect.gen(function*() {
        const config = yield* AuthConfig
        const endpoint = yield* TokenEndpoint
        const auth = yield* Effect.acquireRelease(
          Effect.flatMap(Authentication, (authentication) => authentication.login),
          (result) =>
            options.keepSession
              ? Effect.logInfo("session kept open")
              : Effect.andThen(endpoint.revoke(result.token.accessToken), Effect.logInfo("session revoked"))
        )
        const platform = yield* makePlatform(config.server, config.clientId)
        yield* Effect.promise(async () => platform.auth().setData(toSdkAuthData(auth.token, Date.now())))

        const whoami = Effect.gen(function*() {
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
        }).pipe(Effect.withLogSpan("whoami"))

        return RingCentral.of({ platform, auth, whoami })
      })
    )
}


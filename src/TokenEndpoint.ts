/**
 * One request to RingCentral's token endpoint, and revocation. Each call sends exactly one request, under a
 * timeout, and turns the answer into a `Token` or a typed error: keyed on the HTTP status and
 * `errors[].errorCode`, never on message text. Retries are the caller's choice.
 */
import { Clock, Context, Duration, Effect, Layer, Option, Redacted, Result, Schema } from "effect"
import { Headers, HttpClient, type HttpClientError, HttpClientRequest } from "effect/http"
import { AuthConfig } from "./AuthConfig.ts"
import {
  InvalidClient,
  InvalidGrant,
  InvalidResponse,
  RateLimited,
  Rejected,
  ServiceUnavailable,
  Timeout,
  type TokenError,
  TransportError,
  UnauthorizedClient
} from "./Errors.ts"
import type { Token } from "./Token.ts"
import { fields } from "./Logging.ts"

export type Grant =
  | { readonly _tag: "jwt"; readonly assertion: Redacted.Redacted<string> }
  | {
    readonly _tag: "password"
    readonly username: string
    readonly extension: string | undefined
    readonly password: Redacted.Redacted<string>
  }
  | { readonly _tag: "refresh_token"; readonly refreshToken: Redacted.Redacted<string> }

export interface TokenEndpointService {
  /** Sends one token request. */
  readonly request: (grant: Grant) => Effect.Effect<Token, TokenError>
  /** Ends the session a token belongs to. Failures are logged and ignored, as RingCentral advises. */
  readonly revoke: (token: Redacted.Redacted<string>) => Effect.Effect<void>
  /** How many token requests this endpoint has sent. */
  readonly requestCount: Effect.Effect<number>
}

const jwtGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"

/** The form body: the only place a secret leaves `Redacted`, on its way into the request. */
const form = (grant: Grant): Record<string, string> => {
  switch (grant._tag) {
    case "jwt":
      return { grant_type: jwtGrantType, assertion: Redacted.value(grant.assertion) }
    case "password":
      return {
        grant_type: "password",
        username: grant.extension === undefined ? grant.username : `${grant.username}*${grant.extension}`,
        password: Redacted.value(grant.password)
      }
    case "refresh_token":
      return { grant_type: "refresh_token", refresh_token: Redacted.value(grant.refreshToken) }
  }
}

const NumberLike = Schema.Union([Schema.Finite, Schema.FiniteFromString])
const TokenBody = Schema.Struct({
  access_token: Schema.NonEmptyString,
  token_type: Schema.String,
  expires_in: NumberLike,
  refresh_token: Schema.optionalKey(Schema.NonEmptyString),
  refresh_token_expires_in: Schema.optionalKey(NumberLike),
  scope: Schema.optionalKey(Schema.String),
  owner_id: Schema.optionalKey(Schema.Union([Schema.String, Schema.Finite])),
  endpoint_id: Schema.optionalKey(Schema.String),
  session_id: Schema.optionalKey(Schema.String)
})
/** Checked in this order, so the first problem named is the most basic one. */
const fieldOrder = ["access_token", "token_type", "expires_in", "refresh_token", "refresh_token_expires_in", "scope", "owner_id", "endpoint_id", "session_id"]

const ErrorBody = Schema.Struct({
  error: Schema.optionalKey(Schema.String),
  error_description: Schema.optionalKey(Schema.String),
  errorCode: Schema.optionalKey(Schema.String),
  message: Schema.optionalKey(Schema.String),
  description: Schema.optionalKey(Schema.String),
  errors: Schema.optionalKey(Schema.Array(Schema.Struct({
    errorCode: Schema.optionalKey(Schema.String),
    message: Schema.optionalKey(Schema.String)
  })))
})

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The top-level fields a decode failed on, without the values: a malformed body may still hold a token. */
const failedFields = (issue: unknown): ReadonlyArray<string> => {
  const node = issue as { readonly _tag?: string; readonly path?: ReadonlyArray<PropertyKey>; readonly issue?: unknown; readonly issues?: ReadonlyArray<unknown> }
  if (node._tag === "Pointer" && node.path !== undefined && node.path.length > 0) return [String(node.path[0])]
  if (node.issue !== undefined) return failedFields(node.issue)
  if (node.issues !== undefined) return node.issues.flatMap(failedFields)
  return []
}

const describeBody = (contentType: string | undefined, text: string) =>
  text === "" ? "an empty body" : `${text.length} bytes of ${contentType?.split(";")[0] ?? "content"}, not RingCentral's JSON`

/** Parses a 200 answer into a `Token`, or says which field is wrong, in a fixed order. */
export const parseToken = (status: number, text: string, contentType: string | undefined, nowMs: number): Result.Result<Token, InvalidResponse> => {
  const invalid = (description: string) => Result.fail(new InvalidResponse({ errorCode: undefined, status, description }))
  const json = parseJson(text)
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return invalid(`the token response is ${describeBody(contentType, text)}`)
  }
  const decoded = Schema.decodeUnknownResult(TokenBody)(json, { errors: "all" })
  if (Result.isFailure(decoded)) {
    const fields = new Set(failedFields(decoded.failure.issue))
    const first = fieldOrder.find((field) => fields.has(field)) ?? [...fields][0] ?? "body"
    return invalid(`the token response has no valid ${first}`)
  }
  const body = decoded.success
  if (body.token_type.toLowerCase() !== "bearer") return invalid("the token response's token_type is not bearer")
  if (body.expires_in <= 0) return invalid("the token response's expires_in is not positive")
  return Result.succeed({
    accessToken: Redacted.make(body.access_token),
    refreshToken: body.refresh_token === undefined ? undefined : Redacted.make(body.refresh_token),
    tokenType: body.token_type,
    expiresAt: nowMs + body.expires_in * 1000,
    refreshExpiresAt: body.refresh_token_expires_in === undefined ? undefined : nowMs + body.refresh_token_expires_in * 1000,
    scope: body.scope === undefined ? [] : body.scope.split(" ").filter((s) => s !== ""),
    ownerId: body.owner_id === undefined ? undefined : String(body.owner_id),
    endpointId: body.endpoint_id,
    sessionId: body.session_id
  })
}

const retryAfterOf = (headers: Headers.Headers, nowMs: number): Duration.Duration | undefined =>
  Headers.get(headers, "retry-after").pipe(
    Option.flatMap((value) => Result.getSuccess(Headers.parseRetryAfter(value))),
    Option.map((retryAfter) => Headers.retryAfterDelay(retryAfter, nowMs)),
    Option.getOrUndefined
  )

const invalidGrantCodes = new Set(["OAU-140", "OAU-141", "OAU-142", "OAU-147", "OAU-148", "OAU-168", "OAU-210", "OAU-211", "OAU-213"])
const invalidClientCodes = new Set(["OAU-123", "OAU-146", "OAU-153"])

/**
 * Turns an error answer into the typed error a caller acts on. Accepts both RingCentral error shapes, bodies
 * that are not JSON, and empty ones.
 */
export const classify = (
  grant: Grant["_tag"] | "api",
  status: number,
  headers: Headers.Headers,
  text: string,
  nowMs: number
): TokenError => {
  const body = Option.getOrUndefined(Schema.decodeUnknownOption(ErrorBody)(parseJson(text)))
  const errorCode = body?.errors?.[0]?.errorCode ?? body?.errorCode
  const description = body?.error_description ?? body?.message ?? body?.description ?? body?.errors?.[0]?.message ??
    `HTTP ${status} with ${describeBody(Headers.get(headers, "content-type").pipe(Option.getOrUndefined), text)}`
  const common = { errorCode, status, description }
  const retryAfter = retryAfterOf(headers, nowMs)
  if (status === 429) {
    return new RateLimited({ ...common, retryAfter, retryAt: retryAfter === undefined ? undefined : new Date(nowMs + Duration.toMillis(retryAfter)).toISOString() })
  }
  if (status >= 500) return new ServiceUnavailable({ ...common, retryAfter })
  if (status === 408) return new Timeout({ ...common, timeoutMs: 0 })
  if (status >= 400) {
    if (grant === "api") return new Rejected(common)
    if (errorCode === "OAU-251" || body?.error === "unauthorized_client") {
      return new UnauthorizedClient({ ...common, grant: grant === "password" ? "password" : "jwt" })
    }
    if ((errorCode !== undefined && invalidClientCodes.has(errorCode)) || body?.error === "invalid_client") {
      return new InvalidClient(common)
    }
    if ((errorCode !== undefined && invalidGrantCodes.has(errorCode)) || body?.error === "invalid_grant") {
      return new InvalidGrant({ ...common, grant })
    }
    return new Rejected(common)
  }
  return new InvalidResponse({ ...common, description: `unexpected HTTP ${status}` })
}

/** The most specific cause code of a failed connection (ECONNRESET, UND_ERR_SOCKET, ...), never the request. */
export const transportCode = (cause: unknown): string => {
  let current: unknown = cause
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const { code, cause: next } = current as { code?: unknown; cause?: unknown }
    if (typeof code === "string" && next === undefined) return code
    if (next === undefined) return typeof code === "string" ? code : "connection failed"
    current = next
  }
  return "connection failed"
}

/** Runs one exchange under the configured timeout, mapping timeouts and broken connections to typed errors. */
export const exchange = <A>(
  send: Effect.Effect<A, TokenError | HttpClientError.HttpClientError>,
  timeoutMs: number
): Effect.Effect<A, TokenError> =>
  send.pipe(
    Effect.catchTag("HttpClientError", (error) =>
      Effect.fail(new TransportError({ errorCode: undefined, status: undefined, description: transportCode(error.reason.cause) }))),
    Effect.timeoutOrElse({
      duration: Duration.millis(timeoutMs),
      orElse: () => Effect.fail(new Timeout({ errorCode: undefined, status: undefined, description: `no answer within ${timeoutMs} ms`, timeoutMs }))
    })
  )

export class TokenEndpoint extends Context.Service<TokenEndpoint, TokenEndpointService>()("ringcentral-effect-auth/TokenEndpoint") {
  static readonly layer = Layer.effect(
    TokenEndpoint,
    Effect.gen(function*() {
      const config = yield* AuthConfig
      const client = yield* HttpClient.HttpClient
      let count = 0
      const post = (path: string, body: Record<string, string>) =>
        HttpClientRequest.post(`${config.server}${path}`).pipe(
          HttpClientRequest.basicAuth(config.clientId, config.clientSecret),
          HttpClientRequest.acceptJson,
          HttpClientRequest.bodyUrlParams(body)
        )

      const request = Effect.fn("TokenEndpoint.request")(function*(grant: Grant) {
        count += 1
        const started = yield* Clock.currentTimeMillis
        const answer = yield* exchange(
          Effect.gen(function*() {
            const response = yield* client.execute(post("/restapi/oauth/token", form(grant)))
            const text = yield* response.text
            return { status: response.status, headers: response.headers, text }
          }),
          config.timeoutMs
        ).pipe(Effect.tapError((error) =>
          Effect.logDebug("token request failed").pipe(Effect.annotateLogs(fields({ status: error.status, errorCode: error.errorCode, error: error._tag })))
        ))
        const now = yield* Clock.currentTimeMillis
        const elapsed = now - started
        if (answer.status !== 200) {
          const error = classify(grant._tag, answer.status, answer.headers, answer.text, now)
          yield* Effect.logDebug("token request refused").pipe(
            Effect.annotateLogs(fields({ status: answer.status, errorCode: error.errorCode, elapsed }))
          )
          return yield* Effect.fail(error)
        }
        const token = parseToken(answer.status, answer.text, Option.getOrUndefined(Headers.get(answer.headers, "content-type")), now)
        yield* Effect.logDebug("token response").pipe(Effect.annotateLogs(fields({ status: answer.status, elapsed })))
        return yield* Result.match(token, { onSuccess: Effect.succeed, onFailure: Effect.fail })
      }, (effect, grant) => Effect.annotateLogs(effect, { method: grant._tag }))

      const revoke = (token: Redacted.Redacted<string>) =>
        exchange(
          Effect.gen(function*() {
            const response = yield* client.execute(post("/restapi/oauth/revoke", { token: Redacted.value(token) }))
            yield* Effect.logDebug("session revoked").pipe(Effect.annotateLogs(fields({ status: response.status })))
          }),
          config.timeoutMs
        ).pipe(Effect.catch((error) =>
          Effect.logWarning("revoking the session failed; ignored").pipe(Effect.annotateLogs(fields({ error: error._tag })))
        ))

      return TokenEndpoint.of({ request, revoke, requestCount: Effect.sync(() => count) })
    })
  )
}

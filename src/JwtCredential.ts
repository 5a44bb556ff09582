/**
 * The checks a client can make on a RingCentral JWT credential with no network call: three base64url parts
 * with a JSON header and payload, an `exp` not in the past, and `aud`/`iss` that match the server. The
 * signature cannot be checked locally; RingCentral holds the key. Nothing here ever prints the token.
 */
import { Effect, Option, Redacted, Result, Schema } from "effect"
import { ConfigError } from "./Errors.ts"

const variable = "RINGCENTRAL_JWT_TOKEN"
const base64Url = /^[A-Za-z0-9_-]+$/

const Header = Schema.Struct({ alg: Schema.optionalKey(Schema.String) })
const Claims = Schema.Struct({
  aud: Schema.optionalKey(Schema.Union([Schema.String, Schema.Array(Schema.String)])),
  iss: Schema.optionalKey(Schema.String),
  sub: Schema.optionalKey(Schema.String),
  exp: Schema.optionalKey(Schema.Finite)
})
export type JwtClaims = typeof Claims.Type

const decodePart = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, part: string) =>
  Result.try(() => Buffer.from(part, "base64url").toString("utf8")).pipe(
    Result.flatMap((text) => Schema.decodeUnknownResult(Schema.fromJsonString(schema))(text)),
    Result.getSuccess
  )

/** Reads the claims of a well-formed JWT, or says what is wrong with its shape or expiry. */
export const inspect = (jwt: Redacted.Redacted<string>, nowMs: number): Effect.Effect<JwtClaims, ConfigError> =>
  Effect.gen(function*() {
    const parts = Redacted.value(jwt).trim().split(".")
    const fix = "paste the whole JWT credential from the Developer Console: three dot-separated parts, starting with eyJ"
    if (parts.length !== 3 || parts.some((part) => !base64Url.test(part))) {
      return yield* new ConfigError({ variable, problem: "is not a JWT (expected three base64url parts separated by dots)", fix })
    }
    const [headerPart = "", payloadPart = ""] = parts
    if (Option.isNone(decodePart(Header, headerPart))) {
      return yield* new ConfigError({ variable, problem: "is not a JWT (its header is not JSON)", fix })
    }
    const claims = decodePart(Claims, payloadPart)
    if (Option.isNone(claims)) {
      return yield* new ConfigError({ variable, problem: "is not a JWT (its payload is not JSON with valid claims)", fix })
    }
    const { exp } = claims.value
    if (exp !== undefined && exp * 1000 <= nowMs) {
      return yield* new ConfigError({
        variable,
        problem: `has expired (exp ${new Date(exp * 1000).toISOString()})`,
        fix: "create a new JWT credential in the Developer Console, or one with no expiry, and put it here"
      })
    }
    return claims.value
  })

/** Warnings, not errors: a JWT made for another environment fails at the server with a clear code anyway. */
export const audienceWarnings = (claims: JwtClaims, server: string): ReadonlyArray<string> => {
  const warnings: Array<string> = []
  const tokenUrl = `${server}/restapi/oauth/token`
  const audiences = claims.aud === undefined ? [] : typeof claims.aud === "string" ? [claims.aud] : claims.aud
  if (audiences.length > 0 && !audiences.some((aud) => aud.replace(/\/$/, "") === tokenUrl)) {
    warnings.push(`${variable} was issued for ${audiences.join(", ")}, not ${tokenUrl}: it may belong to another environment`)
  }
  if (claims.iss !== undefined && claims.iss.replace(/\/$/, "") !== server) {
    warnings.push(`${variable} was issued by ${claims.iss}, not ${server}: it may belong to another environment`)
  }
  return warnings
}

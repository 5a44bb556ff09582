/**
 * Every outcome of authentication a caller can act on, as a tagged error. Each carries RingCentral's
 * `errorCode` where there is one, the HTTP status, whether a retry can help, and a one-line hint for a person.
 * No error holds a request, a header or a secret.
 */
import { Data, Duration } from "effect"

interface Common {
  /** RingCentral's `errors[].errorCode` (or top-level `errorCode`), when the response had one. */
  readonly errorCode: string | undefined
  readonly status: number | undefined
  /** What the server said, from its error body; never a secret. */
  readonly description: string
}

const describe = (what: string, common: Common) => {
  const code = [common.status, common.errorCode].filter((part) => part !== undefined).join(" ")
  return `${what}${code === "" ? "" : ` (${code})`}: ${common.description}`
}

/** OAU-251: the app is not allowed this grant type. The one error the password fallback answers. */
export class UnauthorizedClient extends Data.TaggedError("UnauthorizedClient")<Common & { readonly grant: "jwt" | "password" }> {
  readonly retryable = false
  get hint() {
    return this.grant === "jwt"
      ? "this app is not allowed the JWT grant: enable it in the app's settings in the Developer Console, or set password credentials to fall back"
      : "this app is not allowed the password grant: enable it in the app's settings in the Developer Console, or use a JWT credential"
  }
  override get message() {
    return describe(`The app is not allowed the ${this.grant} grant`, this)
  }
}

/** `invalid_grant`: the JWT, password or refresh token was refused. */
export class InvalidGrant extends Data.TaggedError("InvalidGrant")<Common & { readonly grant: "jwt" | "password" | "refresh_token" }> {
  readonly retryable = false
  get hint() {
    switch (this.errorCode) {
      case "OAU-210":
        return "the credential has expired: create a new JWT in the Developer Console and put it in RINGCENTRAL_JWT_TOKEN"
      case "OAU-211":
      case "OAU-213":
        return "the session has ended: log in again"
      case "OAU-141":
      case "OAU-142":
        return "the extension or account is not allowed to log in in its current state: check it in the Admin Portal"
      case "OAU-147":
      case "OAU-148":
        return "the account is locked after failed logins: wait, or unlock it in the Admin Portal"
      case "OAU-168":
        return "the password grant is not allowed when MFA is required: use a JWT credential"
      default:
        return this.grant === "password"
          ? "the username, extension or password is wrong: check RINGCENTRAL_USERNAME, RINGCENTRAL_EXTENSION and RINGCENTRAL_PASSWORD"
          : "the JWT was refused: check that RINGCENTRAL_JWT_TOKEN was created for this environment and is allowed for this app"
    }
  }
  override get message() {
    return describe(`The ${this.grant} credential was rejected`, this)
  }
}

/** `invalid_client`: the client id or secret is wrong, or client authentication is missing. */
export class InvalidClient extends Data.TaggedError("InvalidClient")<Common> {
  readonly retryable = false
  get hint() {
    return "the client id or secret is wrong: copy both from the app's Credentials page in the Developer Console into RINGCENTRAL_CLIENT_ID and RINGCENTRAL_CLIENT_SECRET"
  }
  override get message() {
    return describe("The app's client credentials were rejected", this)
  }
}

/** A 4xx rejection the other tags do not cover, such as an expired or unknown access token on an API call. */
export class Rejected extends Data.TaggedError("Rejected")<Common> {
  readonly retryable = false
  get hint() {
    return this.status === 401
      ? "the access token was not accepted: log in again"
      : "the request was refused: the error code says why"
  }
  override get message() {
    return describe("RingCentral refused the request", this)
  }
}

/** 429: over a rate limit, or a retry wait that would pass the configured cap. */
export class RateLimited extends Data.TaggedError("RateLimited")<Common & {
  /** How long the server asked to wait, when it said. */
  readonly retryAfter: Duration.Duration | undefined
  /** When to try again, as an ISO-8601 time, when known. */
  readonly retryAt: string | undefined
}> {
  readonly retryable = true
  get hint() {
    return this.retryAt === undefined
      ? "RingCentral allows 5 logins a minute per app and user: wait a minute before trying again"
      : `RingCentral allows 5 logins a minute per app and user: try again after ${this.retryAt}`
  }
  override get message() {
    return describe("Rate limited", this)
  }
}

/** 5xx, or 503 with `Retry-After`: the platform or a proxy in front of it is failing. */
export class ServiceUnavailable extends Data.TaggedError("ServiceUnavailable")<Common & {
  readonly retryAfter: Duration.Duration | undefined
}> {
  readonly retryable = true
  get hint() {
    return "RingCentral or a proxy in front of it is failing: try again shortly, and check status.ringcentral.com"
  }
  override get message() {
    return describe("RingCentral is unavailable", this)
  }
}

/** 408, or a request that got no answer in time. */
export class Timeout extends Data.TaggedError("Timeout")<Common & { readonly timeoutMs: number }> {
  readonly retryable = true
  get hint() {
    return "no answer in time: check the network path to the server, or raise RINGCENTRAL_TIMEOUT_MS"
  }
  override get message() {
    return describe("The request timed out", this)
  }
}

/** The connection failed: refused, reset, closed early, or DNS. */
export class TransportError extends Data.TaggedError("TransportError")<Common> {
  readonly retryable = true
  get hint() {
    return "could not reach the server: check RINGCENTRAL_SERVER_URL and the network"
  }
  override get message() {
    return describe("Could not reach RingCentral", this)
  }
}

/** A response that is not what the platform sends: a 200 without a usable token, or an unreadable body. */
export class InvalidResponse extends Data.TaggedError("InvalidResponse")<Common> {
  readonly retryable = false
  get hint() {
    return "the server's answer was not a RingCentral response: check that RINGCENTRAL_SERVER_URL points at the platform and not at a proxy or web page"
  }
  override get message() {
    return describe("Unexpected response", this)
  }
}

/** Bad configuration, found before any request is sent. */
export class ConfigError extends Data.TaggedError("ConfigError")<{
  /** The environment variable (or option) at fault. */
  readonly variable: string
  readonly problem: string
  /** What to put in it. */
  readonly fix: string
}> {
  readonly retryable = false
  readonly errorCode = undefined
  readonly status = undefined
  get hint() {
    return this.fix
  }
  override get message() {
    return `${this.variable}: ${this.problem}`
  }
}

/** What a token request can fail with. */
export type TokenError =
  | UnauthorizedClient
  | InvalidGrant
  | InvalidClient
  | Rejected
  | RateLimited
  | ServiceUnavailable
  | Timeout
  | TransportError
  | InvalidResponse

export type AuthError = TokenError | ConfigError

/**
 * RingCentral's auth surface as plain request-to-reply functions: the token and revoke endpoints and the
 * extension lookup, with client authentication, grant rules, rate limits and the platform's error bodies.
 * The HTTP server in Emulator.ts only moves bytes to and from these.
 */
import { type App, Directory, type Grant, grantTypes, type User } from "./Directory.ts"
import type { AppOptions, UserOptions } from "./Directory.ts"
import { JwtIssuer, unverifiedSubject } from "./JwtIssuer.ts"
import { RateLimiter } from "./RateLimiter.ts"
import { Sessions } from "./Sessions.ts"

export interface PlatformOptions {
  readonly apps: ReadonlyArray<AppOptions>
  readonly users: ReadonlyArray<UserOptions>
  readonly accessTokenTtlSeconds: number
  readonly refreshTokenTtlSeconds: number
  readonly sessionLimit: number
  readonly refreshGraceSeconds: number
  /** Token requests a minute per app and user, or `false` for no limit. */
  readonly authRateLimit: number | false
  /** API requests a minute per app and user (the Light group), or `false` for no limit. */
  readonly apiRateLimit: number | false
}

export interface IncomingRequest {
  readonly method: string
  readonly path: string
  /** Header values by lower-case name. */
  readonly header: (name: string) => string | undefined
  readonly body: string
  /** `http://host:port` as the client addressed the emulator. */
  readonly origin: string
}

export interface Reply {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** JSON to send, a string to send as is, or undefined for an empty body. */
  readonly body: unknown
  readonly errorCode: string | undefined
  readonly clientId: string | undefined
}

export interface MintJwtOptions {
  /** The extension id; defaults to the first user. */
  readonly userId?: string | number
  /** Restrict the credential to these client ids, as the Developer Console can. */
  readonly clientIds?: ReadonlyArray<string>
  /** Leave out for a credential that never expires. */
  readonly expiresInSeconds?: number
}

export const tokenPath = "/restapi/oauth/token"
export const revokePath = "/restapi/oauth/revoke"
export const extensionPath = "/restapi/v1.0/account/~/extension/~"

const reply = (
  status: number,
  body: unknown,
  extra: { readonly headers?: Readonly<Record<string, string>>; readonly errorCode?: string; readonly clientId?: string } = {}
): Reply => ({ status, body, headers: extra.headers ?? {}, errorCode: extra.errorCode, clientId: extra.clientId })

/** A token-endpoint error: `error`, `errors[]` and `error_description`, with no top-level `errorCode`. */
const oauthError = (
  status: number,
  error: string,
  errorCode: string,
  message: string,
  clientId?: string,
  headers?: Readonly<Record<string, string>>
): Reply =>
  reply(status, { error, errors: [{ errorCode, message }], error_description: message }, {
    errorCode,
    ...(clientId === undefined ? {} : { clientId }),
    ...(headers === undefined ? {} : { headers })
  })

/** Any other API error: a top-level `errorCode` and `message` as well as `errors[]`. */
export const apiError = (
  status: number,
  errorCode: string,
  message: string,
  headers?: Readonly<Record<string, string>>,
  clientId?: string
): Reply =>
  reply(status, { errorCode, message, errors: [{ errorCode, message }] }, {
    errorCode,
    ...(headers === undefined ? {} : { headers }),
    ...(clientId === undefined ? {} : { clientId })
  })

type ClientCheck = { readonly ok: true; readonly app: App } | { readonly ok: false; readonly reply: Reply }

const grantOf = (grantType: string | null): Grant | undefined =>
  (Object.keys(grantTypes) as Array<Grant>).find((grant) => grantTypes[grant] === grantType)

const parseTtl = (value: string | null): number | undefined => {
  const ttl = value === null ? Number.NaN : Number.parseInt(value, 10)
  return Number.isFinite(ttl) && ttl > 0 ? ttl : undefined
}

export class EmulatedPlatform {
  readonly directory: Directory
  readonly sessions: Sessions
  readonly jwt = new JwtIssuer()
  readonly authLimiter: RateLimiter
  readonly apiLimiter: RateLimiter
  /** The emulator's own URL, set once the server listens. */
  baseUrl = "http://127.0.0.1"
  private clockOffsetMs = 0
  private readonly jwtRestrictions = new Map<string, ReadonlySet<string>>()

  constructor(options: PlatformOptions) {
    this.directory = new Directory(options.apps, options.users)
    this.sessions = new Sessions({
      sessionLimit: options.sessionLimit,
      refreshGraceMs: options.refreshGraceSeconds * 1000,
      accessTokenTtlSeconds: options.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: options.refreshTokenTtlSeconds
    })
    this.authLimiter = new RateLimiter(
      { name: "Auth", limit: options.authRateLimit || 5, windowSeconds: 60, penaltySeconds: 60 },
      options.authRateLimit !== false
    )
    this.apiLimiter = new RateLimiter(
      { name: "Light", limit: options.apiRateLimit || 50, windowSeconds: 60, penaltySeconds: 60 },
      options.apiRateLimit !== false
    )
  }

  /** The emulator's clock: real time plus whatever a test moved it forward. */
  now(): number {
    return Date.now() + this.clockOffsetMs
  }

  advanceClock(ms: number): number {
    this.clockOffsetMs += ms
    return this.now()
  }

  mintJwt(options: MintJwtOptions = {}): string {
    const user = options.userId === undefined ? this.directory.users[0] : this.directory.userById(String(options.userId))
    if (user === undefined) throw new Error(`The emulator has no user ${String(options.userId ?? "")}`)
    const { token, jti } = this.jwt.mint({
      userId: String(user.id),
      audience: `${this.baseUrl}${tokenPath}`,
      issuer: this.baseUrl,
      nowSeconds: Math.floor(this.now() / 1000),
      ...(options.expiresInSeconds === undefined ? {} : { expiresInSeconds: options.expiresInSeconds })
    })
    if (options.clientIds !== undefined) this.jwtRestrictions.set(jti, new Set(options.clientIds))
    return token
  }

  token(request: IncomingRequest): Reply {
    const form = new URLSearchParams(request.body)
    const client = this.authenticateClient(request, form)
    if (!client.ok) return client.reply
    const { app } = client
    const nowMs = this.now()
    const limit = this.authLimiter.hit(`${app.clientId}|${this.userKey(form)}`, nowMs)
    if (!limit.allowed) return apiError(429, "CMN-301", "Request rate exceeded", limit.headers, app.clientId)
    const result = this.grant(app, form, request.origin, nowMs)
    return { ...result, headers: { ...limit.headers, ...result.headers }, clientId: app.clientId }
  }

  revoke(request: IncomingRequest): Reply {
    const form = new URLSearchParams(request.body)
    const client = this.authenticateClient(request, form)
    if (!client.ok) return client.reply
    const token = form.get("token")
    if (token === null || token === "") {
      return oauthError(400, "invalid_request", "OAU-101", "Parameter [token] is missing", client.app.clientId)
    }
    this.sessions.revoke(token)
    return reply(200, undefined, { clientId: client.app.clientId })
  }

  extension(request: IncomingRequest): Reply {
    const authorization = request.header("authorization")
    if (authorization === undefined) return apiError(401, "AGW-401", "Authorization header is not specified")
    const match = /^Bearer\s+(\S+)$/i.exec(authorization)
    if (match?.[1] === undefined) return apiError(401, "OAU-149", "Invalid Authorization header")
    const nowMs = this.now()
    const check = this.sessions.authorize(match[1], nowMs)
    if (!check.ok) return apiError(401, check.errorCode, check.message)
    const { user, app } = check.session
    const limit = this.apiLimiter.hit(`${app.clientId}|${user.id}`, nowMs)
    if (!limit.allowed) return apiError(429, "CMN-301", "Request rate exceeded", limit.headers, app.clientId)
    return reply(200, this.extensionBody(user), { headers: limit.headers, clientId: app.clientId })
  }

  private extensionBody(user: User) {
    const accountUri = `${this.baseUrl}/restapi/v1.0/account/${user.accountId}`
    return {
      uri: `${accountUri}/extension/${user.id}`,
      id: user.id,
      extensionNumber: user.extensionNumber,
      contact: { firstName: user.firstName, lastName: user.lastName, email: user.email },
      name: `${user.firstName} ${user.lastName}`,
      type: "User",
      status: user.status,
      account: { uri: accountUri, id: user.accountId }
    }
  }

  private authenticateClient(request: IncomingRequest, form: URLSearchParams): ClientCheck {
    const fail = (errorCode: string, message: string, clientId?: string): ClientCheck => ({
      ok: false,
      reply: oauthError(401, "invalid_client", errorCode, message, clientId)
    })
    const authorization = request.header("authorization")
    if (authorization === undefined) {
      const clientId = form.get("client_id")
      const app = clientId === null ? undefined : this.directory.apps.get(clientId)
      if (app === undefined || app.clientSecret !== undefined) {
        return fail("OAU-123", "Client authentication is required", clientId ?? undefined)
      }
      return { ok: true, app }
    }
    const basic = /^Basic\s+(\S+)$/i.exec(authorization)
    const decoded = basic?.[1] === undefined ? "" : Buffer.from(basic[1], "base64").toString("utf8")
    const colon = decoded.indexOf(":")
    const clientId = colon === -1 ? decoded : decoded.slice(0, colon)
    const app = this.directory.apps.get(clientId)
    if (app === undefined) return fail("OAU-153", "Invalid client", clientId === "" ? undefined : clientId)
    const secret = colon === -1 ? undefined : decoded.slice(colon + 1)
    if (app.clientSecret !== undefined && secret !== app.clientSecret) {
      return fail("OAU-146", "Invalid client credentials", clientId)
    }
    return { ok: true, app }
  }

  /** Who a token request is for, before it is verified: the rate limit is per app and user. */
  private userKey(form: URLSearchParams): string {
    const assertion = form.get("assertion")
    if (assertion !== null) return unverifiedSubject(assertion) ?? "?"
    const refreshToken = form.get("refresh_token")
    if (refreshToken !== null) return String(this.sessions.userOfRefreshToken(refreshToken) ?? "?")
    const username = form.get("username")
    if (username !== null) {
      return String(this.directory.userByLogin(username, form.get("extension") ?? undefined)?.id ?? username)
    }
    return "?"
  }

  private grant(app: App, form: URLSearchParams, origin: string, nowMs: number): Reply {
    const grantType = form.get("grant_type")
    const grant = grantOf(grantType)
    if (grant === undefined) return oauthError(400, "invalid_request", "OAU-250", "Unsupported grant type")
    if (!app.grants.has(grant)) {
      return oauthError(400, "unauthorized_client", "OAU-251", "Unauthorized for this grant type")
    }
    const accessTtl = parseTtl(form.get("access_token_ttl"))
    const missing = (name: string) => oauthError(400, "invalid_request", "OAU-101", `Parameter [${name}] is missing`)
    switch (grant) {
      case "jwt": {
        const assertion = form.get("assertion")
        if (assertion === null || assertion === "") return missing("assertion")
        const audiences = [`${this.baseUrl}${tokenPath}`, `${origin}${tokenPath}`]
        const check = this.jwt.check(assertion, audiences, Math.floor(nowMs / 1000))
        if (!check.ok) return oauthError(400, "invalid_grant", check.rejection.errorCode, check.rejection.message)
        const user = this.directory.userById(check.claims.sub)
        if (user === undefined) return oauthError(400, "invalid_grant", "OAU-140", "Invalid assertion: unknown user")
        const allowed = this.jwtRestrictions.get(check.claims.jti)
        if (allowed !== undefined && !allowed.has(app.clientId)) {
          return oauthError(400, "invalid_grant", "OAU-140", "Invalid assertion: not allowed for this client")
        }
        return this.login(app, user, accessTtl, nowMs)
      }
      case "password": {
        const username = form.get("username")
        const password = form.get("password")
        if (username === null || username === "") return missing("username")
        if (password === null) return missing("password")
        const user = this.directory.userByLogin(username, form.get("extension") ?? undefined)
        if (user === undefined || user.password !== password) {
          return oauthError(400, "invalid_grant", "OAU-140", "Invalid resource owner credentials")
        }
        return this.login(app, user, accessTtl, nowMs)
      }
      case "refresh_token": {
        const token = form.get("refresh_token")
        if (token === null || token === "") return missing("refresh_token")
        const outcome = this.sessions.refresh(app, token, accessTtl, nowMs)
        if (!outcome.ok) return oauthError(400, "invalid_grant", outcome.refusal.errorCode, outcome.refusal.message)
        return reply(200, outcome.body)
      }
    }
  }

  private login(app: App, user: User, accessTtl: number | undefined, nowMs: number): Reply {
    if (user.status !== "Enabled") {
      return oauthError(401, "invalid_grant", "OAU-141", "Login for this extension in its current state is not allowed")
    }
    return reply(200, this.sessions.open(app, user, accessTtl, nowMs))
  }

  reset(): void {
    this.sessions.clear()
    this.authLimiter.reset()
    this.apiLimiter.reset()
    this.clockOffsetMs = 0
  }
}

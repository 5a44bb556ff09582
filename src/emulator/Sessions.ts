/**
 * Sessions as the platform keeps them: each login opens one, a user has a limited number at once, refresh
 * tokens are single-use with a short replay grace, and revoking ends the whole session.
 */
import { randomBytes } from "node:crypto"
import type { App, User } from "./Directory.ts"

export interface SessionOptions {
  /** Parallel sessions a user may hold; a login past it ends the oldest. */
  readonly sessionLimit: number
  /** How long a superseded refresh token may be replayed after the new access token is first used. */
  readonly refreshGraceMs: number
  readonly accessTokenTtlSeconds: number
  readonly refreshTokenTtlSeconds: number
}

export interface Session {
  readonly id: string
  readonly user: User
  readonly app: App
  readonly endpointId: string
  accessToken: string
  accessExpiresAt: number
  accessFirstUsedAt: number | undefined
  refreshToken: string | undefined
  refreshExpiresAt: number
  /** The refresh token this one replaced, which may still be replayed within the grace. */
  previousRefreshToken: string | undefined
  ended: "revoked" | "evicted" | undefined
}

/** A token-endpoint refusal: an OAuth error with its RingCentral code. */
export interface GrantRefusal {
  readonly errorCode: string
  readonly message: string
}

export type RefreshOutcome =
  | { readonly ok: true; readonly body: Record<string, unknown> }
  | { readonly ok: false; readonly refusal: GrantRefusal }

export type BearerCheck =
  | { readonly ok: true; readonly session: Session }
  | { readonly ok: false; readonly errorCode: string; readonly message: string }

const newToken = () => randomBytes(32).toString("base64url")
const newId = () => randomBytes(9).toString("base64url")

export class Sessions {
  private readonly options: SessionOptions
  private readonly byAccess = new Map<string, Session>()
  private readonly byRefresh = new Map<string, Session>()
  private readonly byPreviousRefresh = new Map<string, Session>()
  private readonly byUser = new Map<number, Array<Session>>()
  /** Every token issued, newest last, so tests can check a client never prints one. */
  private readonly issued: Array<string> = []

  constructor(options: SessionOptions) {
    this.options = options
  }

  /** Opens a session for a login, ending the user's oldest ones past the limit. */
  open(app: App, user: User, requestedAccessTtl: number | undefined, nowMs: number): Record<string, unknown> {
    const session: Session = {
      id: newId(),
      user,
      app,
      endpointId: newId(),
      accessToken: "",
      accessExpiresAt: 0,
      accessFirstUsedAt: undefined,
      refreshToken: undefined,
      refreshExpiresAt: 0,
      previousRefreshToken: undefined,
      ended: undefined
    }
    this.issue(session, requestedAccessTtl, nowMs)
    const open = (this.byUser.get(user.id) ?? []).filter((s) => s.ended === undefined)
    open.push(session)
    while (open.length > this.options.sessionLimit) {
      const oldest = open.shift()
      if (oldest !== undefined) this.end(oldest, "evicted")
    }
    this.byUser.set(user.id, open)
    return this.body(session, nowMs)
  }

  /** The user a refresh token belongs to, for keying the rate limit. */
  userOfRefreshToken(token: string): number | undefined {
    return (this.byRefresh.get(token) ?? this.byPreviousRefresh.get(token))?.user.id
  }

  refresh(app: App, token: string, requestedAccessTtl: number | undefined, nowMs: number): RefreshOutcome {
    const current = this.byRefresh.get(token)
    const session = current ?? this.byPreviousRefresh.get(token)
    if (session === undefined || session.app.clientId !== app.clientId) return notFound
    if (session.ended !== undefined) {
      return { ok: false, refusal: { errorCode: "OAU-211", message: "Token is revoked" } }
    }
    if (current === undefined) {
      const firstUse = session.accessFirstUsedAt
      const inGrace = firstUse === undefined || nowMs < firstUse + this.options.refreshGraceMs
      return inGrace ? { ok: true, body: this.body(session, nowMs) } : notFound
    }
    if (nowMs >= session.refreshExpiresAt) {
      return { ok: false, refusal: { errorCode: "OAU-210", message: "Token is expired" } }
    }
    this.byAccess.delete(session.accessToken)
    this.byRefresh.delete(token)
    if (session.previousRefreshToken !== undefined) this.byPreviousRefresh.delete(session.previousRefreshToken)
    session.previousRefreshToken = token
    this.byPreviousRefresh.set(token, session)
    this.issue(session, requestedAccessTtl, nowMs)
    return { ok: true, body: this.body(session, nowMs) }
  }

  /** Ends the session an access or refresh token belongs to. Unknown tokens are ignored, as RFC 7009 asks. */
  revoke(token: string): boolean {
    const session = this.byAccess.get(token) ?? this.byRefresh.get(token)
    if (session === undefined || session.ended !== undefined) return false
    this.end(session, "revoked")
    return true
  }

  authorize(accessToken: string, nowMs: number): BearerCheck {
    const session = this.byAccess.get(accessToken)
    if (session === undefined || session.ended !== undefined) {
      return { ok: false, errorCode: "OAU-213", message: "Token not found" }
    }
    if (nowMs >= session.accessExpiresAt) {
      return { ok: false, errorCode: "OAU-128", message: "Access token expired" }
    }
    session.accessFirstUsedAt ??= nowMs
    return { ok: true, session }
  }

  /** Sessions still open, for the control surface. */
  openCount(): number {
    let count = 0
    for (const sessions of this.byUser.values()) count += sessions.filter((s) => s.ended === undefined).length
    return count
  }

  issuedTokens(): ReadonlyArray<string> {
    return [...this.issued]
  }

  private remember(token: string): void {
    this.issued.push(token)
    if (this.issued.length > 200_000) this.issued.splice(0, 20_000)
  }

  clear(): void {
    this.issued.length = 0
    this.byAccess.clear()
    this.byRefresh.clear()
    this.byPreviousRefresh.clear()
    this.byUser.clear()
  }

  private issue(session: Session, requestedAccessTtl: number | undefined, nowMs: number): void {
    const ttl = Math.min(requestedAccessTtl ?? this.options.accessTokenTtlSeconds, this.options.accessTokenTtlSeconds)
    session.accessToken = newToken()
    this.remember(session.accessToken)
    session.accessExpiresAt = nowMs + ttl * 1000
    session.accessFirstUsedAt = undefined
    this.byAccess.set(session.accessToken, session)
    if (session.app.issueRefreshTokens) {
      session.refreshToken = newToken()
      this.remember(session.refreshToken)
      session.refreshExpiresAt = nowMs + this.options.refreshTokenTtlSeconds * 1000
      this.byRefresh.set(session.refreshToken, session)
    }
  }

  private end(session: Session, reason: "revoked" | "evicted"): void {
    session.ended = reason
    this.byAccess.delete(session.accessToken)
  }

  private body(session: Session, nowMs: number): Record<string, unknown> {
    const secondsLeft = (at: number) => Math.max(0, Math.round((at - nowMs) / 1000))
    return {
      access_token: session.accessToken,
      token_type: "bearer",
      expires_in: secondsLeft(session.accessExpiresAt),
      scope: session.app.scope,
      ...(session.refreshToken === undefined ? {} : {
        refresh_token: session.refreshToken,
        refresh_token_expires_in: secondsLeft(session.refreshExpiresAt)
      }),
      owner_id: String(session.user.id),
      endpoint_id: session.endpointId,
      session_id: session.id,
      session_expires_in: this.options.refreshTokenTtlSeconds,
      session_idle_timeout: 3600
    }
  }
}

const notFound: RefreshOutcome = { ok: false, refusal: { errorCode: "OAU-213", message: "Token not found" } }

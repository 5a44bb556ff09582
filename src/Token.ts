/**
 * A token set from the token endpoint, with its lifetimes turned into absolute times the moment it arrives,
 * and its tokens held as `Redacted`.
 */
import { Redacted } from "effect"

export interface Token {
  readonly accessToken: Redacted.Redacted<string>
  readonly refreshToken: Redacted.Redacted<string> | undefined
  readonly tokenType: string
  /** When the access token expires, in epoch milliseconds. */
  readonly expiresAt: number
  /** When the refresh token expires, in epoch milliseconds. */
  readonly refreshExpiresAt: number | undefined
  readonly scope: ReadonlyArray<string>
  /** The extension id the token acts as. */
  readonly ownerId: string | undefined
  readonly endpointId: string | undefined
  readonly sessionId: string | undefined
}

/**
 * The token as `@ringcentral/sdk` stores it (`platform.auth().setData`). The SDK needs the plain values: this
 * is the one place they leave `Redacted`, straight into the SDK.
 */
export const toSdkAuthData = (token: Token, nowMs: number) => ({
  token_type: token.tokenType,
  access_token: Redacted.value(token.accessToken),
  expires_in: String(Math.max(0, Math.floor((token.expiresAt - nowMs) / 1000))),
  expire_time: token.expiresAt,
  scope: token.scope.join(" "),
  ...(token.refreshToken === undefined ? {} : {
    refresh_token: Redacted.value(token.refreshToken),
    refresh_token_expires_in: String(Math.max(0, Math.floor(((token.refreshExpiresAt ?? nowMs) - nowMs) / 1000))),
    refresh_token_expire_time: token.refreshExpiresAt ?? nowMs
  }),
  ...(token.ownerId === undefined ? {} : { owner_id: token.ownerId }),
  ...(token.endpointId === undefined ? {} : { endpoint_id: token.endpointId })
})

/**
 * ringcentral-effect-auth: authentication to the RingCentral REST API as Effect layers. The configuration,
 * JWT auth and password auth are layers with typed errors; `Authentication` composes them (JWT first, password
 * only on OAU-251) and `RingCentral` hands out a logged-in `@ringcentral/sdk` client. The emulator lives in
 * `ringcentral-effect-auth/emulator`.
 */
export { AuthConfig, type AuthMethod, type AuthOptions, type AuthSettings, defaultServer, type LogFormat, type LogLevel, type PasswordCredentials, variables } from "./AuthConfig.ts"
export { Authentication, type AuthenticationService, type AuthResult } from "./Authentication.ts"
export type { Authenticator } from "./Authenticator.ts"
export { check, ExitCode, exitCodeFor, main, rcAuth, token } from "./Cli.ts"
export {
  type AuthError,
  ConfigError,
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
export { JwtAuth } from "./JwtAuth.ts"
export * as Logging from "./Logging.ts"
export { PasswordAuth } from "./PasswordAuth.ts"
export { retryTransient, type RetryPolicy } from "./RetryPolicy.ts"
export { type ClientOptions, type Extension, type Platform, RingCentral, type RingCentralService } from "./RingCentralClient.ts"
export type { Token } from "./Token.ts"
export { type Grant, TokenEndpoint, type TokenEndpointService } from "./TokenEndpoint.ts"
export { type FileStoreOptions } from "./FileTokenStore.ts"
export { type RedisStoreOptions } from "./RedisTokenStore.ts"
export { type SessionInfo, type SessionOptions, TokenSession, type TokenSessionService } from "./TokenSession.ts"
export { sessionKey, StoreUnavailable, TokenStore, type TokenStoreService } from "./TokenStore.ts"
export * as TokenStores from "./TokenStoreConfig.ts"

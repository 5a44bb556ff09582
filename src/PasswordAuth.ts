/**
 * Authentication with the deprecated password grant. It is kept only as an explicit, loudly logged fallback:
 * RingCentral deprecated it in 2022, and it does not work with SSO or MFA.
 */
import { Context, Effect, Layer } from "effect"
import { AuthConfig, variables } from "./AuthConfig.ts"
import { type Authenticator, make } from "./Authenticator.ts"
import { ConfigError } from "./Errors.ts"

const grant = Effect.flatMap(AuthConfig, (config) =>
  config.password === undefined
    ? Effect.fail(new ConfigError({ variable: variables.username, problem: "is not set", fix: "the user's phone number or email, with RINGCENTRAL_PASSWORD" }))
    : Effect.as(
      Effect.logWarning("using the deprecated password grant: migrate to a JWT credential"),
      { _tag: "password" as const, ...config.password }
    ))

export class PasswordAuth extends Context.Service<PasswordAuth, Authenticator>()("ringcentral-effect-auth/PasswordAuth") {
  static readonly layer = Layer.effect(PasswordAuth, make("password", grant))
}

/** Authentication with a JWT credential: RingCentral's recommended grant for server apps. */
import { Context, Effect, Layer } from "effect"
import { AuthConfig, variables } from "./AuthConfig.ts"
import { type Authenticator, make } from "./Authenticator.ts"
import { ConfigError } from "./Errors.ts"

const grant = Effect.flatMap(AuthConfig, (config) =>
  config.jwt === undefined
    ? Effect.fail(new ConfigError({ variable: variables.jwt, problem: "is not set", fix: "a JWT credential from the Developer Console" }))
    : Effect.succeed({ _tag: "jwt" as const, assertion: config.jwt }))

export class JwtAuth extends Context.Service<JwtAuth, Authenticator>()("ringcentral-effect-auth/JwtAuth") {
  static readonly layer = Layer.effect(JwtAuth, make("jwt", grant))
}

/**
 * The pipeline as a library, against the emulator over real sockets: retry timing on the TestClock, the
 * fallback rules, typed errors, and the layers embedded in a program the way a user's app would.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { afterAll, beforeAll, beforeEach } from "vitest"
import { demoJwtApp, demoPasswordApp, demoUser, extensionPath, type RunningEmulator, start, tokenPath } from "../src/emulator/index.ts"
import { AuthConfig, type AuthOptions, Authentication, RingCentral, TokenSession, TokenStore } from "../src/index.ts"
import { demoOptions, driveClock, getJson } from "./support.ts"

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await start({ authRateLimit: false })
})
afterAll(() => emulator.stop())
beforeEach(() => emulator.reset())

const options = (extra: Partial<AuthOptions> = {}) => demoOptions(emulator, extra)

const login = (extra: Partial<AuthOptions> = {}) =>
  Effect.flatMap(Authentication, (auth) => auth.login).pipe(
    Effect.provide(Authentication.layerAll.pipe(Layer.provide(AuthConfig.layerOptions(options(extra))), Layer.provide(FetchHttpClient.layer)))
  )

const tokenStatuses = () => emulator.requests().filter((r) => r.path === tokenPath).map((r) => r.status)
const rateLimited = (retryAfter: string) => ({
  kind: "respond" as const,
  status: 429,
  headers: { "Retry-After": retryAfter },
  body: { errorCode: "CMN-301", message: "Request rate exceeded", errors: [{ errorCode: "CMN-301", message: "Request rate exceeded" }] }
})

describe("retries on the TestClock", () => {
  it.effect("waits out a 429's Retry-After in seconds, then logs in", () =>
    Effect.gen(function*() {
      emulator.script(tokenPath, rateLimited("60"))
      const { exit, elapsedMs } = yield* driveClock(login())
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(elapsedMs, 60_000)
      assert.deepStrictEqual(tokenStatuses(), [429, 200])
    }))

  it.effect("honours a Retry-After given as an HTTP date", () =>
    Effect.gen(function*() {
      // The TestClock starts at the epoch, so this date is 45 s from its now.
      emulator.script(tokenPath, rateLimited(new Date(45_000).toUTCString()))
      const { exit, elapsedMs } = yield* driveClock(login())
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(elapsedMs, 45_000)
    }))

  it.effect("waits at least 30 s on a 503 without Retry-After", () =>
    Effect.gen(function*() {
      emulator.script(tokenPath, { kind: "respond", status: 503, body: { errorCode: "CMN-211", message: "Service unavailable" } })
      const { exit, elapsedMs } = yield* driveClock(login())
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(elapsedMs, 30_000)
      assert.deepStrictEqual(tokenStatuses(), [503, 200])
    }))

  it.effect("backs off exponentially with jitter on a 500, up to RINGCENTRAL_MAX_RETRIES", () =>
    Effect.gen(function*() {
      const failure = { kind: "respond" as const, status: 500, body: "" }
      emulator.script(tokenPath, failure, failure, failure, failure)
      const { exit, elapsedMs } = yield* driveClock(login({ maxRetries: 3 }))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = exit.cause.reasons[0]
        assert.strictEqual(error?._tag === "Fail" ? error.error._tag : undefined, "ServiceUnavailable")
      }
      // 500 ms + 1 s + 2 s, each jittered by 0.8-1.2.
      assert.isAtLeast(elapsedMs, 2_800)
      assert.isAtMost(elapsedMs, 4_200)
      assert.deepStrictEqual(tokenStatuses(), [500, 500, 500, 500])
    }))

  it.effect("fails at once with RateLimited, saying when, when Retry-After is over the cap", () =>
    Effect.gen(function*() {
      emulator.script(tokenPath, rateLimited("300"))
      const { exit, elapsedMs } = yield* driveClock(login({ maxRetryWaitMs: 120_000 }))
      assert.strictEqual(elapsedMs, 0)
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const reason = exit.cause.reasons[0]
        const error = reason?._tag === "Fail" ? reason.error : undefined
        assert.strictEqual(error?._tag, "RateLimited")
        if (error?._tag === "RateLimited") {
          assert.strictEqual(error.retryAt, new Date(300_000).toISOString())
          assert.include(error.hint, new Date(300_000).toISOString())
        }
      }
      assert.deepStrictEqual(tokenStatuses(), [429])
    }))
})

describe("the fallback rules", () => {
  const passwordOptions = {
    clientId: demoPasswordApp.clientId,
    clientSecret: Redacted.make(demoPasswordApp.clientSecret ?? ""),
    username: demoUser.username,
    extension: demoUser.extensionNumber,
    password: Redacted.make(demoUser.password)
  }

  it.live("falls back to password on OAU-251 and reports it", () =>
    Effect.gen(function*() {
      const result = yield* login(passwordOptions)
      assert.deepStrictEqual([result.method, result.fallback, result.attempts], ["password", true, 2])
      assert.strictEqual(result.token.ownerId, String(demoUser.id))
    }))

  it.live("stops on OAU-251 with the hint the issue asks for when there is no password", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(login({ clientId: demoPasswordApp.clientId, clientSecret: Redacted.make(demoPasswordApp.clientSecret ?? "") }))
      assert.strictEqual(error._tag, "UnauthorizedClient")
      assert.deepStrictEqual([error.errorCode, error.status, error.retryable], ["OAU-251", 400, false])
      assert.strictEqual(
        error.hint,
        "this app is not allowed the JWT grant: enable it in the app's settings in the Developer Console, or set password credentials to fall back"
      )
    }))

  it.live("never turns a rejected JWT into a password login", () =>
    Effect.gen(function*() {
      const expired = Redacted.make(emulator.mintJwt({ expiresInSeconds: 1 }))
      emulator.advanceClock(5_000)
      const error = yield* Effect.flip(login({ ...passwordOptions, clientId: demoJwtApp.clientId, clientSecret: Redacted.make(demoJwtApp.clientSecret ?? ""), jwt: expired }))
      assert.deepStrictEqual([error._tag, error.errorCode], ["InvalidGrant", "OAU-210"])
      assert.include(error.hint, "expired")
      assert.deepStrictEqual(emulator.requests().map((r) => r.grantType), ["urn:ietf:params:oauth:grant-type:jwt-bearer"])
    }))
})

describe("the configuration", () => {
  it.effect("reads the environment, holding every secret as Redacted", () =>
    Effect.gen(function*() {
      const config = yield* AuthConfig
      assert.strictEqual(config.server, "http://127.0.0.1:1")
      assert.strictEqual(String(config.clientSecret), "<redacted>")
      assert.strictEqual(Redacted.value(config.clientSecret), "the-secret")
      assert.deepStrictEqual([config.maxRetries, config.maxRetryWaitMs, config.timeoutMs], [3, 120_000, 15_000])
      assert.deepStrictEqual([config.method, config.passwordFallback, config.logFormat, config.logLevel], ["jwt", true, "pretty", "info"])
      const printed = JSON.stringify(config) + String(config.password?.password)
      assert.notInclude(printed, "the-secret")
      assert.notInclude(printed, "the-password")
    }).pipe(
      Effect.provide(AuthConfig.layer),
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord({
        RINGCENTRAL_SERVER_URL: "http://127.0.0.1:1/",
        RINGCENTRAL_CLIENT_ID: "client",
        RINGCENTRAL_CLIENT_SECRET: "the-secret",
        RINGCENTRAL_JWT_TOKEN: `${Buffer.from("{}").toString("base64url")}.${Buffer.from("{}").toString("base64url")}.sig`,
        RINGCENTRAL_USERNAME: "+16505550100",
        RINGCENTRAL_PASSWORD: "the-password"
      })))
    ))

  it.effect("accepts loopback http in every form, and refuses remote http", () =>
    Effect.gen(function*() {
      const jwt = Redacted.make(`${Buffer.from("{}").toString("base64url")}.${Buffer.from("{}").toString("base64url")}.sig`)
      const check = (serverUrl: string) =>
        Effect.flatMap(AuthConfig, (c) => Effect.succeed(c.server)).pipe(
          Effect.provide(AuthConfig.layerOptions({ serverUrl, clientId: "c", clientSecret: Redacted.make("s"), jwt })),
          Effect.result
        )
      for (const ok of ["http://localhost:8080", "http://127.0.0.2:9", "http://[::1]:9", "https://platform.ringcentral.com"]) {
        assert.strictEqual((yield* check(ok))._tag, "Success", ok)
      }
      const refused = yield* check("http://10.0.0.1")
      assert.strictEqual(refused._tag, "Failure")
      if (refused._tag === "Failure") assert.strictEqual(refused.failure.variable, "RINGCENTRAL_SERVER_URL")
    }))
})

describe("embedded in an app", () => {
  it.live("gives a logged-in SDK client and whoami, and revokes the session when the scope closes", () =>
    Effect.gen(function*() {
      // What a user's app looks like: its own program, the library's layers provided once at the edge.
      const program = Effect.gen(function*() {
        const rc = yield* RingCentral
        const me = yield* rc.whoami
        const viaSdk = yield* Effect.promise(async () => (await rc.platform.get(extensionPath)).json())
        return { me, viaSdk: viaSdk as { id: number }, accessToken: (yield* Effect.promise(() => rc.platform.auth().data())).access_token }
      })
      const RingCentralLive = RingCentral.layer().pipe(
        Layer.provide(TokenSession.layerAll()),
        Layer.provide(TokenStore.layerMemory),
        Layer.provideMerge(AuthConfig.layer),
        Layer.provide(FetchHttpClient.layer)
      )
      const env = ConfigProvider.fromEnvRecord({
        RINGCENTRAL_SERVER_URL: emulator.url,
        RINGCENTRAL_CLIENT_ID: demoJwtApp.clientId,
        RINGCENTRAL_CLIENT_SECRET: demoJwtApp.clientSecret ?? "",
        RINGCENTRAL_JWT_TOKEN: emulator.mintJwt()
      })
      const result = yield* program.pipe(Effect.provide(RingCentralLive), Effect.provide(ConfigProvider.layer(env)))

      assert.deepStrictEqual(result.me, {
        id: demoUser.id,
        extensionNumber: demoUser.extensionNumber,
        name: "Ada Lovelace",
        status: "Enabled",
        accountId: demoUser.accountId
      })
      assert.strictEqual(result.viaSdk.id, demoUser.id)
      assert.deepStrictEqual(emulator.requests().map((r) => `${r.method} ${r.path} ${r.status}`), [
        `POST ${tokenPath} 200`,
        `GET ${extensionPath} 200`,
        `GET ${extensionPath} 200`,
        "POST /restapi/oauth/revoke 200"
      ])
      const after = yield* Effect.promise(() => getJson(`${emulator.url}${extensionPath}`, result.accessToken))
      assert.strictEqual(after.status, 401)
    }))

  it.effect("answers a 401 on an API call with one re-authentication and one retry, never a loop", () =>
    Effect.gen(function*() {
      const layer = RingCentral.layer({ keepSession: true }).pipe(
        Layer.provide(TokenSession.layerAll()),
        Layer.provide(TokenStore.layerMemory),
        Layer.provideMerge(AuthConfig.layerOptions(options())),
        Layer.provide(FetchHttpClient.layer)
      )
      const unauthorized = { kind: "respond" as const, status: 401, body: { errorCode: "OAU-213", message: "Token not found" } }
      const outcome = yield* Effect.gen(function*() {
        const rc = yield* RingCentral
        emulator.script(extensionPath, unauthorized)
        const recovered = yield* rc.whoami
        emulator.script(extensionPath, unauthorized, unauthorized)
        const error = yield* Effect.flip(rc.whoami)
        return { recovered, error }
      }).pipe(Effect.provide(layer))
      assert.strictEqual(outcome.recovered.id, demoUser.id)
      assert.deepStrictEqual([outcome.error._tag, outcome.error.status, outcome.error.errorCode], ["Rejected", 401, "OAU-213"])
      assert.deepStrictEqual(emulator.requests().map((r) => `${r.path} ${r.status}`), [
        `${tokenPath} 200`,
        `${extensionPath} 401`,
        `${tokenPath} 200`,
        `${extensionPath} 200`,
        `${extensionPath} 401`,
        `${tokenPath} 200`,
        `${extensionPath} 401`
      ])
      // Kept open: no revoke.
      assert.notInclude(emulator.requests().map((r) => r.path), "/restapi/oauth/revoke")
    }))
})

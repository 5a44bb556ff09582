/**
 * The token session on the TestClock, against the emulator over real sockets: the soft and hard windows, a
 * failure that is not cached, re-login when a refresh token is refused, and one login for a thousand callers.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { TestClock } from "effect/testing"
import { afterAll, beforeAll, beforeEach } from "vitest"
import { demoJwtApp, type RunningEmulator, start, tokenPath } from "../src/emulator/index.ts"
import { AuthConfig, type AuthOptions, TokenSession, TokenStore } from "../src/index.ts"
import { demoOptions, driveClock } from "./support.ts"

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await start({ authRateLimit: false })
})
afterAll(() => emulator.stop())
beforeEach(() => emulator.reset())

const hour = 3_600_000
const sessionLayer = (extra: Partial<AuthOptions> = {}) =>
  TokenSession.layerAll().pipe(
    Layer.provide(TokenStore.layerMemory),
    Layer.provide(AuthConfig.layerOptions(demoOptions(emulator, extra))),
    Layer.provide(FetchHttpClient.layer)
  )

const grants = () =>
  emulator.requests()
    .filter((r) => r.path === tokenPath)
    .map((r) => `${r.grantType === "refresh_token" ? "refresh" : r.grantType === "password" ? "password" : "jwt"} ${r.status}${r.errorCode ? ` ${r.errorCode}` : ""}`)

/** Gets a token, driving the TestClock while the request is on the wire. */
const tokenOf = Effect.gen(function*() {
  const session = yield* TokenSession
  const { exit } = yield* driveClock(session.token)
  return exit
})
const value = (exit: Exit.Exit<{ readonly accessToken: Redacted.Redacted<string> }, unknown>) =>
  Exit.isSuccess(exit) ? Redacted.value(exit.value.accessToken) : `failed: ${String(exit.cause)}`
const settle = TestClock.withLive(Effect.sleep("150 millis"))

describe("the token session", () => {
  it.effect("serves the cached token until the soft window", () =>
    Effect.gen(function*() {
      const first = value(yield* tokenOf)
      yield* TestClock.adjust(hour - 6 * 60_000)
      assert.strictEqual(value(yield* tokenOf), first)
      assert.deepStrictEqual(grants(), ["jwt 200"])
    }).pipe(Effect.provide(sessionLayer())))

  it.effect("in the soft window, refreshes once in the background while callers keep the cached token", () =>
    Effect.gen(function*() {
      const first = value(yield* tokenOf)
      yield* TestClock.adjust(hour - 4 * 60_000)
      const session = yield* TokenSession
      const during = yield* Effect.all(Array.from({ length: 20 }, () => session.token), { concurrency: "unbounded" })
      assert.isTrue(during.every((token) => Redacted.value(token.accessToken) === first))
      yield* settle
      assert.deepStrictEqual(grants(), ["jwt 200", "refresh 200"])
      const after = value(yield* tokenOf)
      assert.notStrictEqual(after, first)
      assert.deepStrictEqual(grants(), ["jwt 200", "refresh 200"])
    }).pipe(Effect.provide(sessionLayer())))

  it.effect("in the hard window, callers wait for the one refresh", () =>
    Effect.gen(function*() {
      const first = value(yield* tokenOf)
      yield* TestClock.adjust(hour - 10_000)
      const session = yield* TokenSession
      const { exit } = yield* driveClock(Effect.all(Array.from({ length: 20 }, () => session.token), { concurrency: "unbounded" }))
      assert.isTrue(Exit.isSuccess(exit))
      if (Exit.isSuccess(exit)) {
        const values = new Set(exit.value.map((token) => Redacted.value(token.accessToken)))
        assert.strictEqual(values.size, 1)
        assert.isFalse(values.has(first))
      }
      assert.deepStrictEqual(grants(), ["jwt 200", "refresh 200"])
    }).pipe(Effect.provide(sessionLayer())))

  it.effect("does not cache a failed refresh: the next call tries again and succeeds", () =>
    Effect.gen(function*() {
      const first = value(yield* tokenOf)
      yield* TestClock.adjust(hour - 10_000)
      emulator.script(tokenPath, { kind: "respond", status: 500, body: "" })
      const failed = yield* tokenOf
      assert.isTrue(Exit.isFailure(failed))
      const later = value(yield* tokenOf)
      assert.notStrictEqual(later, first)
      assert.deepStrictEqual(grants(), ["jwt 200", "refresh 500", "refresh 200"])
    }).pipe(Effect.provide(sessionLayer({ maxRetries: 0 }))))

  it.effect("logs in again with the JWT, once, when the refresh token is refused with OAU-213", () =>
    Effect.gen(function*() {
      yield* tokenOf
      yield* TestClock.adjust(hour - 10_000)
      emulator.script(tokenPath, {
        kind: "respond",
        status: 400,
        body: { error: "invalid_grant", errors: [{ errorCode: "OAU-213", message: "Token not found" }], error_description: "Token not found" }
      })
      assert.isTrue(Exit.isSuccess(yield* tokenOf))
      assert.deepStrictEqual(grants(), ["jwt 200", "refresh 400 OAU-213", "jwt 200"])
    }).pipe(Effect.provide(sessionLayer())))

  it.effect("logs in again when the app issues no refresh tokens", () =>
    Effect.gen(function*() {
      const noRefresh = yield* Effect.promise(() => start({ apps: [{ ...demoJwtApp, issueRefreshTokens: false }], authRateLimit: false }))
      yield* Effect.addFinalizer(() => Effect.promise(() => noRefresh.stop()))
      const layer = TokenSession.layerAll().pipe(
        Layer.provide(TokenStore.layerMemory),
        Layer.provide(AuthConfig.layerOptions(demoOptions(noRefresh))),
        Layer.provide(FetchHttpClient.layer)
      )
      yield* Effect.gen(function*() {
        yield* tokenOf
        yield* TestClock.adjust(hour - 10_000)
        assert.isTrue(Exit.isSuccess(yield* tokenOf))
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(noRefresh.requests().map((r) => r.grantType), [
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
      ])
    }))

  it.effect("makes exactly 1 token request for 1,000 concurrent callers on a cold start", () =>
    Effect.gen(function*() {
      const session = yield* TokenSession
      const { exit } = yield* driveClock(Effect.all(Array.from({ length: 1000 }, () => session.token), { concurrency: "unbounded" }))
      assert.isTrue(Exit.isSuccess(exit))
      if (Exit.isSuccess(exit)) assert.strictEqual(new Set(exit.value.map((t) => Redacted.value(t.accessToken))).size, 1)
      assert.deepStrictEqual(grants(), ["jwt 200"])
    }).pipe(Effect.provide(sessionLayer())))
})

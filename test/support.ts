/** Helpers the tests share: a real SDK wired to native fetch, and raw token requests for exact assertions. */
import { SDK } from "@ringcentral/sdk"
import { Clock, Duration, Effect, Fiber, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import { demoJwtApp } from "../src/emulator/index.ts"
import type { AuthOptions } from "../src/index.ts"
import { once } from "node:events"
import { devNull } from "node:os"

export interface AppCredentials {
  readonly clientId: string
  readonly clientSecret?: string
}

/** The real `@ringcentral/sdk` with the native fetch injected, and a cache of its own. */
export const newSdk = (server: string, app: AppCredentials) =>
  new SDK({
    server,
    clientId: app.clientId,
    clientSecret: app.clientSecret ?? "",
    fetch,
    Request,
    Response,
    Headers,
    cachePrefix: `test-${randomUUID()}`
  })

const basic = (app: AppCredentials) =>
  `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret ?? ""}`).toString("base64")}`

export interface RawResponse {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  readonly json: any
}

const read = async (response: Response): Promise<RawResponse> => {
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json }
}

/** A token-endpoint POST with Basic auth, returning the status, headers and parsed body. */
export const postForm = async (
  url: string,
  form: Record<string, string>,
  app?: AppCredentials
): Promise<RawResponse> => {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(app === undefined ? {} : { authorization: basic(app) })
    },
    body: new URLSearchParams(form)
  })
  return read(response)
}

export const getJson = async (url: string, accessToken?: string): Promise<RawResponse> => {
  return read(await fetch(url, accessToken === undefined ? {} : { headers: { authorization: `Bearer ${accessToken}` } }))
}

/** When the earliest sleep registered on the TestClock wakes (epoch ms), if any. Reads the clock's own queue. */
const nextWakeup = TestClock.testClockWith((clock) =>
  Effect.sync(() => {
    const sleeps = (clock as unknown as { readonly sleeps?: ReadonlyArray<{ readonly timestamp: number }> }).sleeps ?? []
    return sleeps.length === 0 ? undefined : Math.min(...sleeps.map((sleep) => sleep.timestamp))
  })
)

/**
 * Runs an effect that does real socket I/O under the TestClock. While a request is on the wire, real time passes
 * and virtual time stands still; when the effect sleeps (a backoff, a Retry-After), virtual time jumps straight to
 * its wake-up. Sleeps further off than `horizonMs`, such as request timeouts, are left alone. Returns the exit and
 * the virtual time spent, which is then exactly the sum of the sleeps.
 */
export const driveClock = <A, E>(effect: Effect.Effect<A, E>, horizonMs = 10 * 60_000) =>
  Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    const fiber = yield* Effect.forkChild(Effect.exit(effect))
    for (let round = 0; round < 20_000 && fiber.pollUnsafe() === undefined; round++) {
      yield* TestClock.withLive(Effect.sleep("2 millis"))
      if (fiber.pollUnsafe() !== undefined) break
      const now = yield* Clock.currentTimeMillis
      const next = yield* nextWakeup
      if (next !== undefined && next - now <= horizonMs) yield* TestClock.setTime(next)
    }
    const exit = yield* Fiber.join(fiber)
    return { exit, elapsedMs: (yield* Clock.currentTimeMillis) - started }
  })

export interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const cliPath = new URL("../src/bin/rc-auth.ts", import.meta.url).pathname

/** Runs the CLI as its own process, with only the given RINGCENTRAL_* variables and no .env. */
export const runCli = async (args: ReadonlyArray<string>, env: Record<string, string>): Promise<Run> => {
  const child = spawn(process.execPath, ["--", cliPath, ...args, "--env-file", devNull], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (chunk) => (stdout += String(chunk)))
  child.stderr.on("data", (chunk) => (stderr += String(chunk)))
  const [code] = await once(child, "exit")
  return { code: Number(code), stdout, stderr }
}


/** Auth options for the emulator's demo JWT app, with a request timeout kept out of the way of virtual time. */
export const demoOptions = (emulator: { readonly url: string; readonly mintJwt: () => string }, extra: Partial<AuthOptions> = {}): AuthOptions => ({
  serverUrl: emulator.url,
  clientId: demoJwtApp.clientId,
  clientSecret: Redacted.make(demoJwtApp.clientSecret ?? ""),
  jwt: Redacted.make(emulator.mintJwt()),
  timeoutMs: 3_600_000,
  ...extra
})

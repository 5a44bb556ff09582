/**
 * One session shared by real processes: 8 `rc-auth token` processes started at the same moment, with a file
 * store and with a real redis-server, make one login between them, and later one refresh. Redis stopping
 * mid-way, or a corrupt entry, costs a warning, never a crash.
 */
import { spawn, spawnSync } from "node:child_process"
import { once } from "node:events"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createClient } from "redis"
import { Effect, Layer, Logger, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { demoJwtApp, type RunningEmulator, start, tokenPath } from "../src/emulator/index.ts"
import { AuthConfig, TokenSession, TokenStores } from "../src/index.ts"
import { runCli } from "./support.ts"

let emulator: RunningEmulator
let dir: string
beforeAll(async () => {
  emulator = await start({ authRateLimit: false, sessionLimit: 50 })
})
afterAll(() => emulator.stop())
beforeEach(() => {
  emulator.reset()
  dir = mkdtempSync(join(tmpdir(), "rc-auth-store-"))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const env = (store: string, jwt = emulator.mintJwt()) => ({
  RINGCENTRAL_SERVER_URL: emulator.url,
  RINGCENTRAL_CLIENT_ID: demoJwtApp.clientId,
  RINGCENTRAL_CLIENT_SECRET: demoJwtApp.clientSecret ?? "",
  RINGCENTRAL_JWT_TOKEN: jwt,
  RINGCENTRAL_TOKEN_STORE: store
})

const grants = () =>
  emulator.requests()
    .filter((r) => r.path === tokenPath)
    .map((r) => `${r.grantType === "refresh_token" ? "refresh" : "jwt"} ${r.status}${r.errorCode ? ` ${r.errorCode}` : ""}`)

/** Starts `count` `rc-auth token` processes at the same moment and waits for all of them. */
const tokens = (count: number, environment: Record<string, string>) =>
  Promise.all(Array.from({ length: count }, () => runCli(["token"], environment)))

const expectOneTokenEach = (runs: ReadonlyArray<{ code: number; stdout: string; stderr: string }>) => {
  for (const run of runs) {
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^[A-Za-z0-9_-]{40,}\n$/)
    expect(run.stderr).not.toMatch(/\n\s+at /)
  }
  const distinct = new Set(runs.map((run) => run.stdout))
  expect(distinct.size).toBe(1)
  return [...distinct][0]?.trim() ?? ""
}

/** Moves the stored token's expiry into the hard window, as if it were about to run out. */
const nearExpiry = (entry: Record<string, unknown>) => ({ ...entry, expiresAt: Date.now() + 10_000 })

describe("a file store shared by 8 processes", () => {
  it("makes one login, then one refresh when the token nears expiry", async () => {
    const path = join(dir, "tokens.json")
    const environment = env(`file:${path}`)

    const first = expectOneTokenEach(await tokens(8, environment))
    expect(grants()).toEqual(["jwt 200"])
    expect(readFileSync(path, "utf8")).toContain(first)
    const { mode } = await import("node:fs").then((fs) => fs.statSync(path))
    expect(mode & 0o777).toBe(0o600)

    const stored = JSON.parse(readFileSync(path, "utf8"))
    for (const key of Object.keys(stored.sessions)) stored.sessions[key] = nearExpiry(stored.sessions[key])
    writeFileSync(path, JSON.stringify(stored))
    const second = expectOneTokenEach(await tokens(8, environment))
    expect(second).not.toBe(first)
    expect(grants()).toEqual(["jwt 200", "refresh 200"])
  })

  it("prints only the access token on stdout, and no secret in its debug logs", async () => {
    const path = join(dir, "tokens.json")
    const environment = env(`file:${path}`)
    const run = await runCli(["token", "--log-level", "debug", "--log-format", "json"], environment)
    expect(run.code, run.stderr).toBe(0)
    const [entry] = Object.values(JSON.parse(readFileSync(path, "utf8")).sessions) as Array<{ accessToken: string; refreshToken: string }>
    expect(run.stdout).toBe(`${entry?.accessToken}\n`)
    for (const secret of [entry?.accessToken ?? "", entry?.refreshToken ?? "", demoJwtApp.clientSecret ?? "", environment.RINGCENTRAL_JWT_TOKEN]) {
      expect(secret.length).toBeGreaterThan(10)
      expect(run.stderr).not.toContain(secret)
    }
    expect(run.stderr).toContain("token response")
  })

  it("warns that each run logs in anew when no store is set", async () => {
    const run = await runCli(["token"], { ...env(""), RINGCENTRAL_TOKEN_STORE: "" })
    expect(run.code).toBe(0)
    expect(run.stderr).toContain("RINGCENTRAL_TOKEN_STORE is not set")
  })

  it("ignores and overwrites a corrupt store", async () => {
    const path = join(dir, "tokens.json")
    writeFileSync(path, "{ not json")
    const [run] = await tokens(1, env(`file:${path}`))
    expect(run?.code).toBe(0)
    expect(JSON.parse(readFileSync(path, "utf8")).version).toBe(1)
    expect(grants()).toEqual(["jwt 200"])
  })

  it("takes over the lock of a holder that crashed", async () => {
    const path = join(dir, "tokens.json")
    // A lock left by a process that no longer exists.
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: 2 ** 22 + 12345, owner: "gone", acquiredAt: Date.now() }))
    const [run] = await tokens(1, env(`file:${path}`))
    expect(run?.code, run?.stderr).toBe(0)
    expect(grants()).toEqual(["jwt 200"])
  })

  it("check does not revoke a session it did not open", async () => {
    const environment = env(`file:${join(dir, "tokens.json")}`)
    expectOneTokenEach(await tokens(1, environment))
    const check = await runCli(["check", "--json"], environment)
    expect(check.code, check.stderr).toBe(0)
    expect(JSON.parse(check.stdout)).toMatchObject({ ok: true, attempts: 0 })
    expect(check.stderr).toContain("another process opened it")
    expect(emulator.requests().map((r) => r.path)).not.toContain("/restapi/oauth/revoke")
    expect(grants()).toEqual(["jwt 200"])
  })

  it("rejects a store setting it cannot use, before any request", async () => {
    const run = await runCli(["token"], env("ftp://somewhere"))
    expect(run.code).toBe(78)
    expect(run.stderr).toContain("RINGCENTRAL_TOKEN_STORE")
    expect(emulator.requests()).toEqual([])
  })
})

const redisBinary = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).stdout.trim()
if (redisBinary === "" && process.env.CI) throw new Error("redis-server is not installed: .ci/run must install it")

const freePort = async () => {
  const server = createServer()
  server.listen(0, "127.0.0.1")
  await once(server, "listening")
  const port = (server.address() as { port: number }).port
  server.close()
  return port
}

/** A redis-server of the test's own, so that it can be stopped and started again. */
const startRedis = async (port?: number) => {
  const listenOn = port ?? await freePort()
  const child = spawn(redisBinary, ["--port", String(listenOn), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "pipe", "inherit"]
  })
  let output = ""
  child.stdout.setEncoding("utf8")
  while (!output.includes("Ready to accept connections")) {
    const [chunk] = await once(child.stdout, "data")
    output += String(chunk)
  }
  child.stdout.resume()
  return {
    url: `redis://127.0.0.1:${listenOn}/0`,
    port: listenOn,
    stop: async () => {
      child.kill("SIGKILL")
      await once(child, "exit")
    }
  }
}

describe.skipIf(redisBinary === "")("a Redis store shared by 8 processes", () => {
  it("makes one login, then one refresh when the token nears expiry", async () => {
    const redis = process.env.RC_TEST_REDIS_URL === undefined ? await startRedis() : undefined
    const url = process.env.RC_TEST_REDIS_URL ?? redis?.url ?? ""
    const client = createClient({ url })
    await client.connect()
    try {
      await client.flushDb()
      const environment = env(url)
      const first = expectOneTokenEach(await tokens(8, environment))
      expect(grants()).toEqual(["jwt 200"])

      const keys = await client.keys("rc-auth:session:*")
      expect(keys).toHaveLength(1)
      const key = keys[0] ?? ""
      const entry = JSON.parse((await client.get(key)) ?? "{}")
      expect(entry.accessToken).toBe(first)
      await client.set(key, JSON.stringify(nearExpiry(entry)))

      const second = expectOneTokenEach(await tokens(8, environment))
      expect(second).not.toBe(first)
      expect(grants()).toEqual(["jwt 200", "refresh 200"])
      expect(await client.keys("rc-auth:lock:*")).toEqual([])
    } finally {
      await client.close()
      await redis?.stop()
    }
  })

  it("completes with no crash when Redis stops mid-way", async () => {
    const redis = await startRedis()
    const environment = env(redis.url)
    const before = await tokens(4, environment)
    expectOneTokenEach(before)
    await redis.stop()
    const after = await tokens(4, environment)
    for (const run of after) {
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toMatch(/^[A-Za-z0-9_-]{40,}\n$/)
      expect(run.stderr).toContain("token store is unavailable")
      expect(run.stderr).not.toMatch(/\n\s+at /)
    }
    // Each process went on with a session of its own.
    expect(grants()).toEqual(Array.from({ length: 5 }, () => "jwt 200"))
  })

  it("goes on per process while Redis is down, and picks the store up again when it returns", async () => {
    const redis = await startRedis()
    const short = await start({ authRateLimit: false, accessTokenTtlSeconds: 1 })
    const messages: Array<string> = []
    const collect = Logger.make(({ message }) => void messages.push(([] as Array<unknown>).concat(message).join(" ")))
    const layer = TokenSession.layerAll({ softWindow: "300 millis", hardWindow: "200 millis" }).pipe(
      Layer.provide(TokenStores.layerRedis(redis.url, { commandTimeoutMs: 500 })),
      Layer.provide(AuthConfig.layerOptions({
        serverUrl: short.url,
        clientId: demoJwtApp.clientId,
        clientSecret: Redacted.make(demoJwtApp.clientSecret ?? ""),
        jwt: Redacted.make(short.mintJwt())
      })),
      Layer.provide(FetchHttpClient.layer)
    )
    let restarted: Awaited<ReturnType<typeof startRedis>> | undefined
    try {
      await Effect.runPromise(Effect.gen(function*() {
        const session = yield* TokenSession
        yield* session.token
        yield* Effect.promise(() => redis.stop())
        yield* Effect.sleep("1200 millis")
        yield* session.token
        restarted = yield* Effect.promise(() => startRedis(redis.port))
        yield* Effect.sleep("2500 millis")
        yield* session.token
      }).pipe(Effect.provide(layer), Effect.provide(Logger.layer([collect]))))
      expect(messages.some((m) => m.includes("token store is unavailable"))).toBe(true)
      expect(messages).toContain("the token store is back")
      const client = createClient({ url: redis.url })
      await client.connect()
      expect(await client.keys("rc-auth:session:*")).toHaveLength(1)
      await client.close()
      expect(short.requests().filter((r) => r.path === tokenPath).map((r) => r.grantType)).toEqual([
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "refresh_token",
        "refresh_token"
      ])
    } finally {
      await restarted?.stop()
      await short.stop()
    }
  })
})

/**
 * Logins, refreshes and 401s when P processes share one app and user, each making 200 API calls over 3 token
 * lifetimes: with this project's shared session (a file store), and with the bare `@ringcentral/sdk` in each
 * process. Time is scaled so that one "hour" token lives a few seconds; the emulator keeps RingCentral's
 * 5-session limit, and its rate limits are off so that they do not hide the session effects.
 *
 *   npm run bench:session [-- --lifetime 6 --calls 200 --processes 1,4,16]
 */
import { spawn } from "node:child_process"
import { once } from "node:events"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { extensionPath, start, tokenPath } from "ringcentral-effect-auth/emulator"

const { values } = parseArgs({
  options: {
    lifetime: { type: "string", default: "6" },
    calls: { type: "string", default: "200" },
    processes: { type: "string", default: "1,4,16" }
  }
})
const lifetimeSeconds = Number(values.lifetime)
const calls = Number(values.calls)
const counts = values.processes.split(",").map(Number)
const lifetimes = 3
const intervalMs = (lifetimes * lifetimeSeconds * 1000) / calls
const worker = fileURLToPath(new URL("./bench-session-worker.ts", import.meta.url))

interface Row {
  readonly processes: number
  readonly mode: string
  readonly logins: number
  readonly refreshes: number
  readonly unauthorized: number
  readonly failedCalls: number
  readonly seconds: number
}

const run = async (mode: "shared" | "sdk", processes: number): Promise<Row> => {
  const emulator = await start({ authRateLimit: false, apiRateLimit: false, accessTokenTtlSeconds: lifetimeSeconds })
  const dir = mkdtempSync(join(tmpdir(), "rc-auth-bench-"))
  try {
    const jwt = emulator.mintJwt()
    const started = performance.now()
    const results = await Promise.all(Array.from({ length: processes }, async () => {
      const child = spawn(process.execPath, [
        "--conditions=rc-auth-source",
        worker,
        mode,
        emulator.url,
        jwt,
        String(calls),
        String(intervalMs),
        String(lifetimeSeconds * 1000),
        join(dir, "tokens.json")
      ], { stdio: ["ignore", "pipe", "inherit"] })
      let output = ""
      child.stdout.on("data", (chunk) => (output += String(chunk)))
      await once(child, "exit")
      try {
        return (JSON.parse(output.trim().split("\n").at(-1) ?? "") as { failed: number }).failed
      } catch {
        return calls
      }
    }))
    const log = emulator.requests()
    const tokens = log.filter((r) => r.path === tokenPath && r.status === 200)
    return {
      processes,
      mode,
      logins: tokens.filter((r) => r.grantType !== "refresh_token").length,
      refreshes: tokens.filter((r) => r.grantType === "refresh_token").length,
      unauthorized: log.filter((r) => r.path === extensionPath && r.status === 401).length,
      failedCalls: results.reduce((sum, failed) => sum + failed, 0),
      seconds: (performance.now() - started) / 1000
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await emulator.stop()
  }
}

const rows: Array<Row> = []
for (const processes of counts) {
  for (const mode of ["shared", "sdk"] as const) {
    const row = await run(mode, processes)
    rows.push(row)
    console.error(`P=${processes} ${mode}: done in ${row.seconds.toFixed(1)} s`)
  }
}

console.log(`${calls} API calls per process over ${lifetimes} token lifetimes of ${lifetimeSeconds} s (scaled hours); the minimum is 1 login, then 1 refresh per lifetime`)
console.log("| P | client | logins | refreshes | 401s seen | failed calls |")
console.log("| --- | --- | --- | --- | --- | --- |")
for (const row of rows) {
  const client = row.mode === "shared" ? "ringcentral-effect-auth, shared file store" : "bare @ringcentral/sdk per process"
  console.log(`| ${row.processes} | ${client} | ${row.logins} | ${row.refreshes} | ${row.unauthorized} | ${row.failedCalls} |`)
}

/**
 * How many token requests a second the emulator answers with its rate limit off. The emulator runs in its own
 * process, as `npm run emulator` starts it, and this process drives it over keep-alive connections.
 *
 *   npm run bench:emulator [-- --seconds 5 --concurrency 32 --rounds 3]
 */
import { spawn } from "node:child_process"
import { once } from "node:events"
import { Agent, request } from "node:http"
import { parseArgs } from "node:util"
import { demoJwtApp, tokenPath } from "ringcentral-effect-auth/emulator"

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    concurrency: { type: "string", default: "32" },
    rounds: { type: "string", default: "3" }
  }
})
const seconds = Number(values.seconds)
const concurrency = Number(values.concurrency)
const rounds = Number(values.rounds)

const child = spawn(process.execPath, ["src/bin/emulator.ts", "--no-rate-limit", "--session-limit", String(concurrency * 2)], { stdio: ["ignore", "pipe", "inherit"] })
let output = ""
child.stdout.setEncoding("utf8")
while (!/listening on (\S+)/.test(output)) {
  const [chunk] = await once(child.stdout, "data")
  output += String(chunk)
}
const url = new URL(/listening on (\S+)/.exec(output)?.[1] ?? "")
child.stdout.resume()

const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
const basic = `Basic ${Buffer.from(`${demoJwtApp.clientId}:${demoJwtApp.clientSecret ?? ""}`).toString("base64")}`

const send = (method: string, path: string, body: string, headers: Record<string, string>) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, agent, headers }, (res) => {
      let text = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => (text += chunk))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }))
    })
    req.on("error", reject)
    req.end(body)
  })

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()
const tokenHeaders = { "content-type": "application/x-www-form-urlencoded", authorization: basic }
const { jwt } = JSON.parse((await send("POST", "/_emulator/jwt", "{}", { "content-type": "application/json" })).body)
const jwtForm = form({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: jwt })

/** Runs `concurrency` loops of one request kind for a fixed time and returns requests per second. */
const measure = async (next: (worker: number) => Promise<void>) => {
  let done = 0
  const until = performance.now() + seconds * 1000
  const started = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async (_, worker) => {
    while (performance.now() < until) {
      await next(worker)
      done++
    }
  }))
  return done / ((performance.now() - started) / 1000)
}

const jwtLogin = async (_worker: number) => {
  const res = await send("POST", tokenPath, jwtForm, tokenHeaders)
  if (res.status !== 200) throw new Error(`JWT login answered ${res.status}`)
}

// Each loop keeps its own session and refreshes it over and over.
const refreshTokens = new Map<number, string>()
const refresh = async (id: number) => {
  let token = refreshTokens.get(id)
  if (token === undefined) token = JSON.parse((await send("POST", tokenPath, jwtForm, tokenHeaders)).body).refresh_token
  const res = await send("POST", tokenPath, form({ grant_type: "refresh_token", refresh_token: token ?? "" }), tokenHeaders)
  if (res.status !== 200) throw new Error(`refresh answered ${res.status}`)
  refreshTokens.set(id, JSON.parse(res.body).refresh_token)
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

try {
  await measure(jwtLogin) // warm-up
  const logins: Array<number> = []
  const refreshes: Array<number> = []
  for (let round = 0; round < rounds; round++) {
    logins.push(await measure(jwtLogin))
    refreshTokens.clear() // the logins just measured ended the older sessions
    refreshes.push(await measure(refresh))
  }
  const fmt = (xs: ReadonlyArray<number>) => xs.map((x) => x.toFixed(0)).join(", ")
  console.log(`emulator token requests per second (${concurrency} concurrent, ${seconds} s rounds, rate limit off)`)
  console.log(`  JWT logins: median ${median(logins).toFixed(0)}/s  (rounds: ${fmt(logins)})`)
  console.log(`  refreshes:  median ${median(refreshes).toFixed(0)}/s  (rounds: ${fmt(refreshes)})`)
} finally {
  agent.destroy()
  child.kill("SIGINT")
}

/**
 * Every `rc-auth check` scenario, run as a real process against the emulator at debug level, with canary
 * secrets: each asserts the exact error tag and exit code, the token requests the emulator saw, in order, and
 * that no secret or issued token appears in stdout, stderr or the JSON.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type Fault, type RunningEmulator, start, tokenPath } from "../src/emulator/index.ts"
import { runCli } from "./support.ts"

const canary = {
  jwtAppSecret: "canary-jwt-app-secret-5d1e",
  passwordAppSecret: "canary-password-app-secret-9b27",
  password: "canary-user-password-c04f"
}
const jwtApp = { clientId: "canaryJwtApp", clientSecret: canary.jwtAppSecret, grants: ["jwt", "refresh_token"] as const }
const passwordApp = { clientId: "canaryPasswordApp", clientSecret: canary.passwordAppSecret, grants: ["password", "refresh_token"] as const }
const user = {
  id: 40001,
  accountId: "90001",
  extensionNumber: "202",
  username: "+14155550123",
  password: canary.password,
  firstName: "Grace",
  lastName: "Hopper",
  email: "grace@example.com"
}

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await start({ apps: [jwtApp, passwordApp], users: [user], authRateLimit: false })
})
afterAll(() => emulator.stop())
beforeEach(() => emulator.reset())

const grantNames: Record<string, string> = {
  "urn:ietf:params:oauth:grant-type:jwt-bearer": "jwt",
  password: "password",
  refresh_token: "refresh_token"
}
const tokenRequests = () =>
  emulator.requests()
    .filter((r) => r.path === tokenPath)
    .map((r) => [grantNames[r.grantType ?? ""] ?? r.grantType, r.status, r.errorCode].filter((x) => x !== undefined).join(" "))

const base = (e: RunningEmulator, jwt: string) => ({
  RINGCENTRAL_SERVER_URL: e.url,
  RINGCENTRAL_CLIENT_ID: jwtApp.clientId,
  RINGCENTRAL_CLIENT_SECRET: jwtApp.clientSecret,
  RINGCENTRAL_JWT_TOKEN: jwt
})
const withPassword = { RINGCENTRAL_USERNAME: user.username, RINGCENTRAL_EXTENSION: user.extensionNumber, RINGCENTRAL_PASSWORD: canary.password }
const onPasswordApp = { RINGCENTRAL_CLIENT_ID: passwordApp.clientId, RINGCENTRAL_CLIENT_SECRET: passwordApp.clientSecret }
const unavailable = (extra: Record<string, string> = {}): Fault => ({
  kind: "respond",
  status: 503,
  headers: { "Retry-After": "0", ...extra },
  body: { errorCode: "CMN-211", message: "Service temporarily unavailable" }
})
const fakeJwt = (header: string, payload: string) =>
  `${Buffer.from(header).toString("base64url")}.${Buffer.from(payload).toString("base64url")}.c2ln`

interface Scenario {
  readonly name: string
  readonly env?: (jwt: string) => Record<string, string>
  readonly faults?: ReadonlyArray<Fault>
  readonly exit: number
  /** The error tag, or undefined for success. */
  readonly tag?: string
  readonly code?: string | null
  readonly requests: ReadonlyArray<string>
  readonly method?: "jwt" | "password"
  readonly fallback?: boolean
  readonly stderrIncludes?: string
}

const scenarios: ReadonlyArray<Scenario> = [
  { name: "JWT success", exit: 0, requests: ["jwt 200"], method: "jwt", fallback: false },
  {
    name: "OAU-251 falls back to password",
    env: () => ({ ...onPasswordApp, ...withPassword }),
    exit: 0,
    requests: ["jwt 400 OAU-251", "password 200"],
    method: "password",
    fallback: true,
    stderrIncludes: "falling back to the deprecated password grant"
  },
  {
    name: "OAU-251 with no password credentials",
    env: () => onPasswordApp,
    exit: 77,
    tag: "UnauthorizedClient",
    code: "OAU-251",
    requests: ["jwt 400 OAU-251"]
  },
  {
    name: "OAU-251 with fallback switched off",
    env: () => ({ ...onPasswordApp, ...withPassword, RINGCENTRAL_PASSWORD_FALLBACK: "false" }),
    exit: 77,
    tag: "UnauthorizedClient",
    code: "OAU-251",
    requests: ["jwt 400 OAU-251"]
  },
  {
    name: "invalid_grant with password credentials present never falls back",
    env: (jwt) => ({ ...withPassword, RINGCENTRAL_JWT_TOKEN: `${jwt.slice(0, -4)}AAAA` }),
    exit: 77,
    tag: "InvalidGrant",
    code: "OAU-140",
    requests: ["jwt 400 OAU-140"]
  },
  {
    name: "a wrong client secret",
    env: () => ({ RINGCENTRAL_CLIENT_SECRET: "not-the-secret" }),
    exit: 77,
    tag: "InvalidClient",
    code: "OAU-146",
    requests: ["jwt 401 OAU-146"]
  },
  {
    name: "RINGCENTRAL_AUTH_METHOD=password goes straight to password",
    env: () => ({ ...withPassword, RINGCENTRAL_AUTH_METHOD: "password", RINGCENTRAL_CLIENT_ID: passwordApp.clientId, RINGCENTRAL_CLIENT_SECRET: passwordApp.clientSecret }),
    exit: 0,
    requests: ["password 200"],
    method: "password",
    fallback: false
  },
  { name: "503, 503, then 200", faults: [unavailable(), unavailable()], exit: 0, requests: ["jwt 503 CMN-211", "jwt 503 CMN-211", "jwt 200"], method: "jwt" },
  {
    name: "429 with Retry-After, then 200",
    faults: [{ kind: "respond", status: 429, headers: { "Retry-After": "1" }, body: { errorCode: "CMN-301", message: "Request rate exceeded", errors: [{ errorCode: "CMN-301", message: "Request rate exceeded" }] } }],
    exit: 0,
    requests: ["jwt 429 CMN-301", "jwt 200"],
    method: "jwt"
  },
  {
    name: "429 with a Retry-After over the cap fails at once",
    env: () => ({ RINGCENTRAL_MAX_RETRY_WAIT_MS: "5000" }),
    faults: [{ kind: "respond", status: 429, headers: { "Retry-After": "60" }, body: { errorCode: "CMN-301", message: "Request rate exceeded" } }],
    exit: 75,
    tag: "RateLimited",
    code: "CMN-301",
    requests: ["jwt 429 CMN-301"]
  },
  {
    name: "retries exhausted",
    env: () => ({ RINGCENTRAL_MAX_RETRIES: "2" }),
    faults: [unavailable(), unavailable(), unavailable(), unavailable()],
    exit: 75,
    tag: "ServiceUnavailable",
    code: "CMN-211",
    requests: ["jwt 503 CMN-211", "jwt 503 CMN-211", "jwt 503 CMN-211"]
  },
  { name: "a connection reset, then 200", faults: [{ kind: "reset" }], exit: 0, requests: ["jwt 0", "jwt 200"], method: "jwt" },
  {
    name: "a connection reset with no retries left",
    env: () => ({ RINGCENTRAL_MAX_RETRIES: "0" }),
    faults: [{ kind: "reset" }],
    exit: 75,
    tag: "TransportError",
    code: null,
    requests: ["jwt 0"]
  },
  {
    name: "a hung request hits the timeout",
    env: () => ({ RINGCENTRAL_TIMEOUT_MS: "300", RINGCENTRAL_MAX_RETRIES: "0" }),
    faults: [{ kind: "delay", delayMs: 30_000 }],
    exit: 75,
    tag: "Timeout",
    code: null,
    requests: ["jwt 0"]
  },
  {
    name: "an HTML 502 body",
    env: () => ({ RINGCENTRAL_MAX_RETRIES: "0" }),
    faults: [{ kind: "respond", status: 502, headers: { "Content-Type": "text/html" }, body: "<html><body><h1>502 Bad Gateway</h1></body></html>" }],
    exit: 75,
    tag: "ServiceUnavailable",
    code: null,
    requests: ["jwt 502"]
  },
  {
    name: "a malformed 200 body",
    faults: [{ kind: "respond", status: 200, body: { token_type: "bearer", expires_in: 3600 } }],
    exit: 76,
    tag: "InvalidResponse",
    code: null,
    requests: ["jwt 200"]
  },
  { name: "config: no client id", env: () => ({ RINGCENTRAL_CLIENT_ID: "" }), exit: 78, tag: "ConfigError", requests: [], stderrIncludes: "RINGCENTRAL_CLIENT_ID" },
  { name: "config: no client secret", env: () => ({ RINGCENTRAL_CLIENT_SECRET: "" }), exit: 78, tag: "ConfigError", requests: [], stderrIncludes: "RINGCENTRAL_CLIENT_SECRET" },
  { name: "config: no JWT for the jwt method", env: () => ({ RINGCENTRAL_JWT_TOKEN: "" }), exit: 78, tag: "ConfigError", requests: [], stderrIncludes: "RINGCENTRAL_JWT_TOKEN" },
  {
    name: "config: password method without a username",
    env: () => ({ RINGCENTRAL_AUTH_METHOD: "password" }),
    exit: 78,
    tag: "ConfigError",
    requests: [],
    stderrIncludes: "RINGCENTRAL_USERNAME"
  },
  {
    name: "config: a password without a username",
    env: () => ({ RINGCENTRAL_PASSWORD: canary.password }),
    exit: 78,
    tag: "ConfigError",
    requests: [],
    stderrIncludes: "RINGCENTRAL_USERNAME"
  },
  {
    name: "config: plain http to a remote host",
    env: () => ({ RINGCENTRAL_SERVER_URL: "http://platform.example.com" }),
    exit: 78,
    tag: "ConfigError",
    requests: [],
    stderrIncludes: "RINGCENTRAL_SERVER_URL"
  },
  { name: "config: a JWT that is not three parts", env: () => ({ RINGCENTRAL_JWT_TOKEN: "not-a-jwt" }), exit: 78, tag: "ConfigError", requests: [], stderrIncludes: "RINGCENTRAL_JWT_TOKEN" },
  {
    name: "config: a JWT whose header is not JSON",
    env: () => ({ RINGCENTRAL_JWT_TOKEN: fakeJwt("nope", "{}") }),
    exit: 78,
    tag: "ConfigError",
    requests: [],
    stderrIncludes: "header is not JSON"
  },
  {
    name: "config: an expired JWT",
    env: () => ({ RINGCENTRAL_JWT_TOKEN: fakeJwt("{\"alg\":\"RS256\"}", JSON.stringify({ exp: 1_600_000_000 })) }),
    exit: 78,
    tag: "ConfigError",
    requests: [],
    stderrIncludes: "has expired"
  },
  { name: "config: a bad retry count", env: () => ({ RINGCENTRAL_MAX_RETRIES: "many" }), exit: 78, tag: "ConfigError", requests: [], stderrIncludes: "RINGCENTRAL_MAX_RETRIES" },
  { name: "config: a bad log format", env: () => ({ RINGCENTRAL_LOG_FORMAT: "xml" }), exit: 78, tag: "ConfigError", requests: [], stderrIncludes: "RINGCENTRAL_LOG_FORMAT" }
]

/** Every secret the run could leak: the canaries, the JWT, the Basic header, and every token issued. */
const secretsOf = (env: Record<string, string>) => {
  const jwt = env.RINGCENTRAL_JWT_TOKEN ?? ""
  return [
    canary.jwtAppSecret,
    canary.passwordAppSecret,
    canary.password,
    ...(jwt.length > 20 ? [jwt, ...jwt.split(".").filter((part) => part.length > 20)] : []),
    Buffer.from(`${env.RINGCENTRAL_CLIENT_ID}:${env.RINGCENTRAL_CLIENT_SECRET}`).toString("base64"),
    ...emulator.issuedTokens()
  ]
}

const formats = ["pretty", "json", "logfmt"] as const

describe("rc-auth check", () => {
  it.each(scenarios.map((scenario, index) => ({ ...scenario, format: formats[index % formats.length] ?? "pretty" })))("$name", async (scenario) => {
    const jwt = emulator.mintJwt()
    const env = { ...base(emulator, jwt), ...scenario.env?.(jwt) }
    if (scenario.faults !== undefined) emulator.script(tokenPath, ...scenario.faults)

    // A --log-format flag would win over the variable a scenario sets.
    const format = "RINGCENTRAL_LOG_FORMAT" in env ? [] : ["--log-format", scenario.format]
    const run = await runCli(["check", "--json", "--log-level", "debug", ...format], env)

    expect(run.code, run.stderr).toBe(scenario.exit)
    // A request the client gave up on is logged when the server sees the connection close, which can trail the exit.
    for (let waited = 0; tokenRequests().length < scenario.requests.length && waited < 2_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(tokenRequests()).toEqual(scenario.requests)
    expect(run.stdout.trim().split("\n")).toHaveLength(1)
    const output = JSON.parse(run.stdout)
    if (scenario.tag === undefined) {
      expect(output).toMatchObject({
        ok: true,
        method: scenario.method,
        server: emulator.url,
        user: { id: user.id, name: "Grace Hopper", extensionNumber: user.extensionNumber },
        account: { id: user.accountId },
        attempts: scenario.requests.length
      })
      if (scenario.fallback !== undefined) expect(output.fallback).toBe(scenario.fallback)
      expect(new Date(output.token.expiresAt).toISOString()).toBe(output.token.expiresAt)
      expect(output.token.scope).toEqual(["ReadAccounts", "CallControl", "SMS"])
      // The session it opened is revoked when it is done.
      expect(emulator.requests().at(-1)).toMatchObject({ path: "/restapi/oauth/revoke", status: 200 })
    } else {
      expect(output).toMatchObject({ ok: false, error: { tag: scenario.tag } })
      expect(Object.keys(output.error).sort()).toEqual(["code", "hint", "message", "status", "tag"])
      if (scenario.code !== undefined) expect(output.error.code).toBe(scenario.code)
      expect(output.error.hint.length).toBeGreaterThan(10)
    }
    if (scenario.stderrIncludes !== undefined) expect(run.stderr).toContain(scenario.stderrIncludes)
    expect(run.stderr).not.toMatch(/\n\s+at /) // no stack trace

    for (const secret of secretsOf(env)) {
      expect(run.stdout).not.toContain(secret)
      expect(run.stderr).not.toContain(secret)
    }
  })

  it("prints a summary for a person on stdout and log lines on stderr, and keeps the session on request", async () => {
    const run = await runCli(["check", "--keep-session", "--log-format", "logfmt"], base(emulator, emulator.mintJwt()))
    expect(run.code).toBe(0)
    expect(run.stdout, run.stderr).toContain("OK: authenticated")
    expect(run.stdout).toContain("Grace Hopper, extension 202")
    expect(run.stderr).toMatch(/level=INFO .*message="auth status".*method=jwt.*clientId=cana…/)
    expect(run.stderr).toContain("credentials=RINGCENTRAL_CLIENT_SECRET,RINGCENTRAL_JWT_TOKEN")
    expect(emulator.requests().map((r) => r.path)).not.toContain("/restapi/oauth/revoke")
  })

  it("warns, and still logs in, when the JWT was issued for another server", async () => {
    const jwt = emulator.mintJwt()
    const run = await runCli(["check", "--json"], { ...base(emulator, jwt), RINGCENTRAL_SERVER_URL: emulator.url.replace("127.0.0.1", "localhost") })
    expect(run.code).toBe(0)
    expect(run.stderr).toContain("may belong to another environment")
  })

  it("answers usage errors with 64", async () => {
    const unknownFlag = await runCli(["check", "--bogus"], {})
    const noCommand = await runCli([], {})
    expect([unknownFlag.code, noCommand.code]).toEqual([64, 64])
    expect(unknownFlag.stderr).toContain("--bogus")
  })
})

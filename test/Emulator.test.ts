import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import {
  demoJwtApp,
  demoPasswordApp,
  demoUser,
  extensionPath,
  revokePath,
  type RunningEmulator,
  start,
  tokenPath
} from "../src/emulator/index.ts"
import { getJson, newSdk, postForm } from "./support.ts"

const jwtGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

let emulator: RunningEmulator
const token = (form: Record<string, string>, app = demoJwtApp) => postForm(emulator.tokenUrl, form, app)
const whoami = (accessToken?: string) => getJson(`${emulator.url}${extensionPath}`, accessToken)
const jwtLogin = (app = demoJwtApp) => token({ grant_type: jwtGrant, assertion: emulator.mintJwt() }, app)

beforeAll(async () => {
  emulator = await start({ authRateLimit: false })
})
afterAll(() => emulator.stop())
afterEach(() => emulator.reset())

describe("the real SDK against the emulator", () => {
  it("logs in with a minted JWT and reads the extension", async () => {
    const platform = newSdk(emulator.url, demoJwtApp).platform()
    await platform.login({ jwt: emulator.mintJwt() })
    const me: any = await (await platform.get(extensionPath)).json()
    expect(me).toMatchObject({
      id: demoUser.id,
      extensionNumber: demoUser.extensionNumber,
      name: "Ada Lovelace",
      status: "Enabled",
      contact: { firstName: "Ada", lastName: "Lovelace", email: demoUser.email },
      account: { id: demoUser.accountId }
    })
    expect(typeof me.id).toBe("number")
    expect(typeof me.account.id).toBe("string")
    expect(emulator.requests().map((r) => [r.path, r.grantType, r.status])).toEqual([
      [tokenPath, jwtGrant, 200],
      [extensionPath, undefined, 200]
    ])
  })

  it("refreshes, then revokes the session", async () => {
    const platform = newSdk(emulator.url, demoJwtApp).platform()
    await platform.login({ jwt: emulator.mintJwt() })
    const before = await platform.auth().data()
    await platform.refresh()
    const after = await platform.auth().data()
    expect(after.access_token).not.toBe(before.access_token)
    expect(after.refresh_token).not.toBe(before.refresh_token)
    expect((await whoami(before.access_token)).status).toBe(401)
    expect((await whoami(after.access_token)).status).toBe(200)

    await platform.logout()
    const revoked = await whoami(after.access_token)
    expect(revoked.status).toBe(401)
    expect(revoked.json.errorCode).toBe("OAU-213")
    const refresh = await token({ grant_type: "refresh_token", refresh_token: after.refresh_token ?? "" })
    expect([refresh.status, refresh.json.errors[0].errorCode]).toEqual([400, "OAU-211"])
    expect(emulator.requests().map((r) => `${r.path} ${r.grantType ?? ""} ${r.status}`)).toEqual([
      `${tokenPath} ${jwtGrant} 200`,
      `${tokenPath} refresh_token 200`,
      `${extensionPath}  401`,
      `${extensionPath}  200`,
      `${revokePath}  200`,
      `${extensionPath}  401`,
      `${tokenPath} refresh_token 400`
    ])
  })

  it("rejects a JWT login by an app without the JWT grant with RingCentral's exact OAU-251 body", async () => {
    const platform = newSdk(emulator.url, demoPasswordApp).platform()
    const error: any = await platform.login({ jwt: emulator.mintJwt() }).then(
      () => expect.fail("login should have been rejected"),
      (e: unknown) => e
    )
    expect(error.response.status).toBe(400)
    expect(await error.response.json()).toStrictEqual({
      error: "unauthorized_client",
      errors: [{ errorCode: "OAU-251", message: "Unauthorized for this grant type" }],
      error_description: "Unauthorized for this grant type"
    })
    expect(emulator.requests()).toHaveLength(1)
  })
})

describe("client authentication", () => {
  it("answers 401 OAU-123 when Basic auth is missing", async () => {
    const response = await postForm(emulator.tokenUrl, { grant_type: jwtGrant, assertion: emulator.mintJwt() })
    expect(response.status).toBe(401)
    expect(response.json).toStrictEqual({
      error: "invalid_client",
      errors: [{ errorCode: "OAU-123", message: "Client authentication is required" }],
      error_description: "Client authentication is required"
    })
  })

  it("answers 401 OAU-146 invalid_client for a wrong secret", async () => {
    const response = await jwtLogin({ clientId: demoJwtApp.clientId, clientSecret: "wrong" })
    expect(response.status).toBe(401)
    expect(response.json.error).toBe("invalid_client")
    expect(response.json.errors[0].errorCode).toBe("OAU-146")
  })

  it("accepts a public client's client_id in the body", async () => {
    const publicApp = await start({ apps: [{ clientId: "publicApp" }] })
    try {
      const response = await postForm(publicApp.tokenUrl, {
        grant_type: jwtGrant,
        assertion: publicApp.mintJwt(),
        client_id: "publicApp"
      })
      expect(response.status).toBe(200)
    } finally {
      await publicApp.stop()
    }
  })
})

describe("the JWT grant", () => {
  it("answers 400 invalid_grant OAU-140 for a tampered signature", async () => {
    const [header, payload, signature] = emulator.mintJwt().split(".")
    const flipped = `${signature?.startsWith("A") ? "B" : "A"}${signature?.slice(1)}`
    const response = await token({ grant_type: jwtGrant, assertion: `${header}.${payload}.${flipped}` })
    expect([response.status, response.json.error, response.json.errors[0].errorCode]).toEqual([400, "invalid_grant", "OAU-140"])
  })

  it("answers OAU-140 for a JWT minted by another emulator (another key, another audience)", async () => {
    const other = await start()
    try {
      const response = await token({ grant_type: jwtGrant, assertion: other.mintJwt() })
      expect([response.status, response.json.errors[0].errorCode]).toEqual([400, "OAU-140"])
    } finally {
      await other.stop()
    }
  })

  it("answers 400 invalid_grant OAU-210 once the JWT has expired", async () => {
    const assertion = emulator.mintJwt({ expiresInSeconds: 60 })
    expect((await token({ grant_type: jwtGrant, assertion })).status).toBe(200)
    emulator.advanceClock(61_000)
    const response = await token({ grant_type: jwtGrant, assertion })
    expect([response.status, response.json.error, response.json.errors[0].errorCode]).toEqual([400, "invalid_grant", "OAU-210"])
  })

  it("honours a credential restricted to some client ids", async () => {
    const assertion = emulator.mintJwt({ clientIds: [demoPasswordApp.clientId] })
    const response = await token({ grant_type: jwtGrant, assertion })
    expect([response.status, response.json.errors[0].errorCode]).toEqual([400, "OAU-140"])
    const allowed = await start({ apps: [{ ...demoJwtApp }, { ...demoPasswordApp, grants: ["jwt"] }] })
    try {
      const restricted = allowed.mintJwt({ clientIds: [demoPasswordApp.clientId] })
      expect((await postForm(allowed.tokenUrl, { grant_type: jwtGrant, assertion: restricted }, demoPasswordApp)).status).toBe(200)
      expect((await postForm(allowed.tokenUrl, { grant_type: jwtGrant, assertion: restricted }, demoJwtApp)).status).toBe(400)
    } finally {
      await allowed.stop()
    }
  })
})

describe("the password grant", () => {
  const password = (form: Record<string, string>) => token({ grant_type: "password", ...form }, demoPasswordApp)

  it("accepts username*extension and a separate extension field", async () => {
    const starred = await password({ username: `${demoUser.username}*${demoUser.extensionNumber}`, password: demoUser.password })
    const separate = await password({ username: demoUser.username, extension: demoUser.extensionNumber, password: demoUser.password })
    expect([starred.status, separate.status]).toEqual([200, 200])
    expect(starred.json.owner_id).toBe(String(demoUser.id))
  })

  it("answers 400 invalid_grant OAU-140 for a wrong password", async () => {
    const response = await password({ username: demoUser.username, password: "nope" })
    expect(response.status).toBe(400)
    expect(response.json).toStrictEqual({
      error: "invalid_grant",
      errors: [{ errorCode: "OAU-140", message: "Invalid resource owner credentials" }],
      error_description: "Invalid resource owner credentials"
    })
  })
})

describe("tokens and sessions", () => {
  it("issues opaque tokens with expires_in 3600 by default, and configurable", async () => {
    const response = await jwtLogin()
    expect(response.json).toMatchObject({ token_type: "bearer", expires_in: 3600, refresh_token_expires_in: 604800 })
    expect(response.json.access_token).toMatch(/^[A-Za-z0-9_-]{40,}$/)
    expect(response.json.access_token.split(".")).toHaveLength(1)
    const short = await start({ accessTokenTtlSeconds: 600 })
    try {
      const login = await postForm(short.tokenUrl, { grant_type: jwtGrant, assertion: short.mintJwt() }, demoJwtApp)
      expect(login.json.expires_in).toBe(600)
    } finally {
      await short.stop()
    }
  })

  it("issues no refresh token when the app does not allow it", async () => {
    const noRefresh = await start({ apps: [{ ...demoJwtApp, issueRefreshTokens: false }] })
    try {
      const login = await postForm(noRefresh.tokenUrl, { grant_type: jwtGrant, assertion: noRefresh.mintJwt() }, demoJwtApp)
      expect(login.status).toBe(200)
      expect(login.json).not.toHaveProperty("refresh_token")
    } finally {
      await noRefresh.stop()
    }
  })

  it("expires access tokens with 401 OAU-128", async () => {
    const login = await jwtLogin()
    emulator.advanceClock(3601_000)
    const response = await whoami(login.json.access_token)
    expect([response.status, response.json.errorCode]).toEqual([401, "OAU-128"])
  })

  it("ends the oldest session when a sixth login passes the limit of five", async () => {
    const logins = []
    for (let i = 0; i < 6; i++) logins.push(await jwtLogin())
    const statuses = await Promise.all(logins.map((login) => whoami(login.json.access_token).then((r) => r.status)))
    expect(statuses).toEqual([401, 200, 200, 200, 200, 200])
    const refresh = await token({ grant_type: "refresh_token", refresh_token: logins[0]?.json.refresh_token })
    expect(refresh.json.errors[0].errorCode).toBe("OAU-211")
  })

  it("makes refresh tokens single-use, with a replay grace after the new token is first used", async () => {
    const login = await jwtLogin()
    const first = await token({ grant_type: "refresh_token", refresh_token: login.json.refresh_token })
    expect(first.status).toBe(200)
    expect((await whoami(login.json.access_token)).status).toBe(401)

    const replay = await token({ grant_type: "refresh_token", refresh_token: login.json.refresh_token })
    expect(replay.json.access_token).toBe(first.json.access_token)
    expect(replay.json.refresh_token).toBe(first.json.refresh_token)

    expect((await whoami(first.json.access_token)).status).toBe(200)
    emulator.advanceClock(5_000)
    const inGrace = await token({ grant_type: "refresh_token", refresh_token: login.json.refresh_token })
    expect(inGrace.json.access_token).toBe(first.json.access_token)
    emulator.advanceClock(6_000)
    const late = await token({ grant_type: "refresh_token", refresh_token: login.json.refresh_token })
    expect([late.status, late.json.error, late.json.errors[0].errorCode]).toEqual([400, "invalid_grant", "OAU-213"])
  })

  it("answers OAU-213 for a superseded refresh token", async () => {
    const login = await jwtLogin()
    const first = await token({ grant_type: "refresh_token", refresh_token: login.json.refresh_token })
    const second = await token({ grant_type: "refresh_token", refresh_token: first.json.refresh_token })
    expect(second.status).toBe(200)
    const superseded = await token({ grant_type: "refresh_token", refresh_token: login.json.refresh_token })
    expect([superseded.status, superseded.json.errors[0].errorCode]).toEqual([400, "OAU-213"])
  })

  it("revoke ends the session for its access and refresh tokens", async () => {
    const login = await jwtLogin()
    const revoked = await postForm(`${emulator.url}${revokePath}`, { token: login.json.access_token }, demoJwtApp)
    expect(revoked.status).toBe(200)
    const api = await whoami(login.json.access_token)
    expect(api.status).toBe(401)
    expect(api.json).toStrictEqual({
      errorCode: "OAU-213",
      message: "Token not found",
      errors: [{ errorCode: "OAU-213", message: "Token not found" }]
    })
  })

  it("answers 401 with a top-level errorCode for a missing or unknown bearer token", async () => {
    const missing = await whoami()
    const unknown = await whoami("not-a-token")
    expect([missing.status, missing.json.errorCode]).toEqual([401, "AGW-401"])
    expect([unknown.status, unknown.json.errorCode]).toEqual([401, "OAU-213"])
  })
})

describe("rate limits", () => {
  it("allows 5 token requests a minute per app and user, then 429 CMN-301 with Retry-After", async () => {
    const limited = await start()
    try {
      const login = () => postForm(limited.tokenUrl, { grant_type: jwtGrant, assertion: limited.mintJwt() }, demoJwtApp)
      const allowed = []
      for (let i = 0; i < 5; i++) allowed.push(await login())
      expect(allowed.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
      expect(allowed.map((r) => r.headers.get("x-rate-limit-remaining"))).toEqual(["4", "3", "2", "1", "0"])
      expect(allowed[0]?.headers.get("x-rate-limit-group")).toBe("Auth")
      expect(allowed[0]?.headers.get("x-rate-limit-limit")).toBe("5")
      expect(allowed[0]?.headers.get("x-rate-limit-window")).toBe("60")

      const over = await login()
      expect(over.status).toBe(429)
      expect(over.headers.get("retry-after")).toBe("60")
      expect(over.json).toStrictEqual({
        errorCode: "CMN-301",
        message: "Request rate exceeded",
        errors: [{ errorCode: "CMN-301", message: "Request rate exceeded" }]
      })

      // Another app for the same user has its own budget.
      const otherApp = await postForm(limited.tokenUrl, { grant_type: "password", username: demoUser.username, password: demoUser.password }, demoPasswordApp)
      expect(otherApp.status).toBe(200)

      // Every request during the penalty starts it again.
      limited.advanceClock(59_000)
      expect((await login()).status).toBe(429)
      limited.advanceClock(59_000)
      expect((await login()).status).toBe(429)
      limited.advanceClock(61_000)
      expect((await login()).status).toBe(200)
    } finally {
      await limited.stop()
    }
  })

  it("can be switched off for load tests", async () => {
    const statuses = []
    for (let i = 0; i < 12; i++) statuses.push((await jwtLogin()).status)
    expect(statuses.every((status) => status === 200)).toBe(true)
  })

  it("sends X-Rate-Limit headers on API responses", async () => {
    const login = await jwtLogin()
    const response = await whoami(login.json.access_token)
    expect(response.headers.get("x-rate-limit-group")).toBe("Light")
    expect(response.headers.get("x-rate-limit-limit")).toBe("50")
    expect(response.headers.get("x-rate-limit-remaining")).toBe("49")
  })
})

describe("scripted faults", () => {
  it("answers the next N requests with the scripted status, headers and JSON body, then resumes", async () => {
    emulator.script(tokenPath,
      { kind: "respond", status: 503, headers: { "Retry-After": "2" }, body: { errorCode: "CMN-211", message: "Service unavailable" } },
      { kind: "respond", status: 503, body: { errorCode: "CMN-211", message: "Service unavailable" } })
    const first = await jwtLogin()
    const second = await jwtLogin()
    const third = await jwtLogin()
    expect([first.status, first.headers.get("retry-after"), first.json.errorCode]).toEqual([503, "2", "CMN-211"])
    expect(second.status).toBe(503)
    expect(third.status).toBe(200)
    expect(emulator.requests().map((r) => [r.status, r.fault, r.errorCode])).toEqual([
      [503, "respond", "CMN-211"],
      [503, "respond", "CMN-211"],
      [200, undefined, undefined]
    ])
  })

  it("sends non-JSON text and empty bodies", async () => {
    emulator.script(tokenPath,
      { kind: "respond", status: 502, body: "<html><body>Bad Gateway</body></html>" },
      { kind: "respond", status: 200 })
    const html = await fetch(emulator.tokenUrl, { method: "POST" })
    expect([html.status, html.headers.get("content-type"), await html.text()]).toEqual([
      502,
      "text/html",
      "<html><body>Bad Gateway</body></html>"
    ])
    const empty = await fetch(emulator.tokenUrl, { method: "POST" })
    expect([empty.status, await empty.text()]).toEqual([200, ""])
  })

  it("delays a response", async () => {
    emulator.script(extensionPath, { kind: "delay", delayMs: 300 })
    const started = performance.now()
    const response = await whoami()
    expect(performance.now() - started).toBeGreaterThanOrEqual(290)
    expect(response.status).toBe(401)
    expect(emulator.requests()[0]?.fault).toBe("delay")
  })

  it("resets the connection", async () => {
    emulator.script(tokenPath, { kind: "reset" })
    const error: any = await jwtLogin().then(() => expect.fail("the request should fail"), (e: unknown) => e)
    expect(error.cause.code).toBe("ECONNRESET")
    expect(emulator.requests()[0]).toMatchObject({ status: 0, fault: "reset" })
  })

  it("closes the connection with no response", async () => {
    emulator.script(tokenPath, { kind: "close" })
    const error: any = await jwtLogin().then(() => expect.fail("the request should fail"), (e: unknown) => e)
    expect(error.cause.code).toBe("UND_ERR_SOCKET")
    expect(emulator.requests()[0]).toMatchObject({ status: 0, fault: "close" })
    expect((await jwtLogin()).status).toBe(200)
  })

  it("can be scripted over HTTP by a client in another process", async () => {
    const scripted = await fetch(`${emulator.url}/_emulator/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ path: tokenPath, faults: [{ kind: "respond", status: 500, body: "oops" }, { kind: "reset" }] })
    })
    expect(scripted.status).toBe(200)
    expect((await jwtLogin()).status).toBe(500)
    await expect(jwtLogin()).rejects.toThrow()
    expect((await jwtLogin()).status).toBe(200)
    const log: any = await (await fetch(`${emulator.url}/_emulator/requests`)).json()
    expect(log.requests.map((r: { status: number }) => r.status)).toEqual([500, 0, 200])

    const bad = await fetch(`${emulator.url}/_emulator/faults`, { method: "POST", body: JSON.stringify({ path: 1 }) })
    expect(bad.status).toBe(400)
  })

  it("mints JWTs and moves the clock over HTTP", async () => {
    const minted: any = await (await fetch(`${emulator.url}/_emulator/jwt`, { method: "POST", body: "{}" })).json()
    expect((await token({ grant_type: jwtGrant, assertion: minted.jwt })).status).toBe(200)
    const moved: any = await (await fetch(`${emulator.url}/_emulator/clock`, { method: "POST", body: JSON.stringify({ advanceMs: 3_600_000 }) })).json()
    expect(Date.parse(moved.now) - Date.now()).toBeGreaterThan(3_590_000)
  })
})

describe("the request log", () => {
  it("records every request in order with method, path, grant type, status and time, and no secret", async () => {
    const started = Date.now()
    const login = await jwtLogin()
    await whoami(login.json.access_token)
    await token({ grant_type: "refresh_token", refresh_token: login.json.refresh_token })
    await token({ grant_type: "password", username: demoUser.username, password: "wrong-password" }, demoPasswordApp)
    await postForm(`${emulator.url}${revokePath}`, { token: login.json.access_token }, demoJwtApp)
    const log = emulator.requests()
    expect(log.map((r) => [r.seq, r.method, r.path, r.grantType, r.status])).toEqual([
      [1, "POST", tokenPath, jwtGrant, 200],
      [2, "GET", extensionPath, undefined, 200],
      [3, "POST", tokenPath, "refresh_token", 200],
      [4, "POST", tokenPath, "password", 400],
      [5, "POST", revokePath, undefined, 200]
    ])
    for (const entry of log) expect(Date.parse(entry.at)).toBeGreaterThanOrEqual(started - 1)
    const text = JSON.stringify(log)
    for (const secret of [demoJwtApp.clientSecret, demoPasswordApp.clientSecret, "wrong-password", login.json.access_token, login.json.refresh_token]) {
      expect(text).not.toContain(secret)
    }
    expect(text).not.toContain("eyJ")
  })
})

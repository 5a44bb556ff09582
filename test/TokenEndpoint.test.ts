/**
 * How answers from the token endpoint are read: a 200 is validated in a fixed order, and every error shape
 * RingCentral (or a proxy in front of it) sends maps to the right tag, without echoing the body.
 */
import * as fc from "fast-check"
import { Result } from "effect"
import { Headers } from "effect/http"
import { describe, expect, it } from "vitest"
import { classify, parseToken } from "../src/TokenEndpoint.ts"

const now = 1_000_000
const parse = (body: unknown) => parseToken(200, typeof body === "string" ? body : JSON.stringify(body), "application/json", now)
const problem = (body: unknown) => {
  const result = parse(body)
  return Result.isFailure(result) ? `${result.failure._tag}: ${result.failure.description}` : "ok"
}
const headers = (record: Record<string, string> = {}) => Headers.fromInput(record)

describe("a 200 token response", () => {
  it("is checked in a fixed order: access_token, token_type, expires_in, then the optional fields", () => {
    expect(problem({})).toBe("InvalidResponse: the token response has no valid access_token")
    expect(problem({ access_token: "" })).toBe("InvalidResponse: the token response has no valid access_token")
    expect(problem({ access_token: "a" })).toBe("InvalidResponse: the token response has no valid token_type")
    expect(problem({ access_token: "a", token_type: "bearer" })).toBe("InvalidResponse: the token response has no valid expires_in")
    expect(problem({ access_token: "a", token_type: "bearer", expires_in: "soon" })).toBe("InvalidResponse: the token response has no valid expires_in")
    expect(problem({ access_token: "a", token_type: "bearer", expires_in: 3600, refresh_token: 5 })).toBe("InvalidResponse: the token response has no valid refresh_token")
    expect(problem({ access_token: "a", token_type: "mac", expires_in: 3600 })).toBe("InvalidResponse: the token response's token_type is not bearer")
    expect(problem({ access_token: "a", token_type: "bearer", expires_in: 0 })).toBe("InvalidResponse: the token response's expires_in is not positive")
    expect(problem("<html>oops</html>")).toBe("InvalidResponse: the token response is 17 bytes of application/json, not RingCentral's JSON")
    expect(problem("")).toBe("InvalidResponse: the token response is an empty body")
    expect(problem([1, 2])).toMatch(/^InvalidResponse: the token response is /)
  })

  it("accepts numeric strings, and turns lifetimes into absolute times", () => {
    const result = parse({ access_token: "a", token_type: "Bearer", expires_in: "3600", refresh_token: "r", refresh_token_expires_in: 604800, scope: "A B", owner_id: 42 })
    expect(Result.isSuccess(result)).toBe(true)
    if (Result.isSuccess(result)) {
      expect(result.success).toMatchObject({ expiresAt: now + 3_600_000, refreshExpiresAt: now + 604_800_000, scope: ["A", "B"], ownerId: "42" })
      expect(String(result.success.accessToken)).toBe("<redacted>")
    }
  })

  it("never puts a value of the body in its message", () => {
    const message = problem({ access_token: 12345678901234567890, token_type: "secret-looking-value" })
    expect(message).not.toContain("12345678901234567890")
    expect(message).not.toContain("secret-looking-value")
  })
})

describe("an error answer", () => {
  const oauth = (error: string, errorCode: string) => JSON.stringify({ error, errors: [{ errorCode, message: "m" }], error_description: "d" })

  it("reads the token endpoint's shape and the API's shape", () => {
    const unauthorized = classify("jwt", 400, headers(), oauth("unauthorized_client", "OAU-251"), now)
    expect([unauthorized._tag, unauthorized.errorCode, unauthorized.status, unauthorized.description]).toEqual(["UnauthorizedClient", "OAU-251", 400, "d"])
    const rate = classify("jwt", 429, headers({ "retry-after": "12" }), JSON.stringify({ errorCode: "CMN-301", message: "Request rate exceeded", errors: [{ errorCode: "CMN-301" }] }), now)
    expect([rate._tag, rate.errorCode, rate.description]).toEqual(["RateLimited", "CMN-301", "Request rate exceeded"])
    if (rate._tag === "RateLimited") expect(rate.retryAt).toBe(new Date(now + 12_000).toISOString())
  })

  it("keys on the code and status, not the message", () => {
    expect(classify("password", 400, headers(), oauth("invalid_grant", "OAU-140"), now)._tag).toBe("InvalidGrant")
    expect(classify("jwt", 401, headers(), oauth("invalid_client", "OAU-146"), now)._tag).toBe("InvalidClient")
    expect(classify("jwt", 401, headers(), JSON.stringify({ errors: [{ errorCode: "OAU-123" }] }), now)._tag).toBe("InvalidClient")
    expect(classify("jwt", 400, headers(), JSON.stringify({ errors: [{ errorCode: "OAU-251", message: "Some new wording" }] }), now)._tag).toBe("UnauthorizedClient")
    expect(classify("jwt", 403, headers(), JSON.stringify({ errorCode: "CMN-401", message: "In order to call this API endpoint..." }), now)._tag).toBe("Rejected")
    expect(classify("api", 401, headers(), oauth("invalid_grant", "OAU-213"), now)._tag).toBe("Rejected")
    expect(classify("jwt", 408, headers(), "", now)._tag).toBe("Timeout")
    expect(classify("jwt", 504, headers(), "", now)._tag).toBe("ServiceUnavailable")
  })

  it("accepts bodies with only message or description, empty bodies and HTML", () => {
    expect(classify("jwt", 400, headers(), JSON.stringify({ message: "only a message" }), now).description).toBe("only a message")
    expect(classify("jwt", 400, headers(), JSON.stringify({ description: "only a description" }), now).description).toBe("only a description")
    expect(classify("jwt", 503, headers(), "", now).description).toBe("HTTP 503 with an empty body")
    const html = classify("jwt", 502, headers({ "content-type": "text/html; charset=utf-8" }), "<html>Bad Gateway</html>", now)
    expect([html._tag, html.description]).toEqual(["ServiceUnavailable", "HTTP 502 with 24 bytes of text/html, not RingCentral's JSON"])
  })

  it("never echoes a body that is not RingCentral's JSON, whatever it holds", () => {
    fc.assert(fc.property(fc.string({ minLength: 12 }), fc.integer({ min: 400, max: 599 }), (body, status) => {
      fc.pre(!body.trimStart().startsWith("{"))
      const error = classify("jwt", status, headers(), body, now)
      return !error.message.includes(body) && !error.hint.includes(body)
    }))
  })
})

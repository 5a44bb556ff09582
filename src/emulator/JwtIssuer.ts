/**
 * The emulator's JWT credentials: RS256 tokens signed with a key pair made at start, shaped like the ones the
 * Developer Console issues, and the checks the token endpoint makes on an assertion.
 */
import { generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from "node:crypto"

export interface MintOptions {
  /** The extension id the credential belongs to (`sub`). */
  readonly userId: string
  /** The token endpoint URL (`aud`). */
  readonly audience: string
  /** The platform URL (`iss`). */
  readonly issuer: string
  readonly nowSeconds: number
  /** Leave out for a credential that never expires, as the Developer Console allows. */
  readonly expiresInSeconds?: number
}

export interface JwtClaims {
  readonly sub: string
  readonly jti: string
  readonly aud: string
  readonly exp: number | undefined
}

/** Why an assertion was refused, with the code the token endpoint answers. */
export interface JwtRejection {
  readonly errorCode: "OAU-140" | "OAU-210" | "OAU-347"
  readonly message: string
}

export type JwtCheck = { readonly ok: true; readonly claims: JwtClaims } | { readonly ok: false; readonly rejection: JwtRejection }

const invalid = (message: string): JwtCheck => ({ ok: false, rejection: { errorCode: "OAU-140", message } })

const encodeJson = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")

const decodeJson = (part: string): unknown => {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"))
  } catch {
    return undefined
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Reads `sub` without checking anything, to key the rate limit before the assertion is verified. */
export const unverifiedSubject = (assertion: string): string | undefined => {
  const payload = decodeJson(assertion.split(".")[1] ?? "")
  return isRecord(payload) && typeof payload.sub === "string" ? payload.sub : undefined
}

export class JwtIssuer {
  readonly keyId = randomUUID()
  private readonly privateKey: KeyObject
  private readonly publicKey: KeyObject

  constructor() {
    const pair = generateKeyPairSync("rsa", { modulusLength: 2048 })
    this.privateKey = pair.privateKey
    this.publicKey = pair.publicKey
  }

  mint(options: MintOptions): { readonly token: string; readonly jti: string } {
    const jti = randomUUID()
    const header = encodeJson({ kid: this.keyId, typ: "JWT", alg: "RS256" })
    const payload = encodeJson({
      aud: options.audience,
      sub: options.userId,
      iss: options.issuer,
      ...(options.expiresInSeconds === undefined ? {} : { exp: options.nowSeconds + options.expiresInSeconds }),
      iat: options.nowSeconds,
      jti
    })
    const signature = sign("sha256", Buffer.from(`${header}.${payload}`), this.privateKey).toString("base64url")
    return { token: `${header}.${payload}.${signature}`, jti }
  }

  /** Checks shape, algorithm, signature, audience and expiry, in that order. */
  check(assertion: string, audiences: ReadonlyArray<string>, nowSeconds: number): JwtCheck {
    const parts = assertion.split(".")
    const [headerPart, payloadPart, signaturePart] = parts
    if (parts.length !== 3 || headerPart === undefined || payloadPart === undefined || signaturePart === undefined) {
      return invalid("Invalid assertion: not a JWT")
    }
    const header = decodeJson(headerPart)
    const payload = decodeJson(payloadPart)
    if (!isRecord(header) || !isRecord(payload)) return invalid("Invalid assertion: not a JWT")
    if (header.alg !== "RS256") {
      return { ok: false, rejection: { errorCode: "OAU-347", message: "JWT signing algorithm is not supported" } }
    }
    const signed = verify(
      "sha256",
      Buffer.from(`${headerPart}.${payloadPart}`),
      this.publicKey,
      Buffer.from(signaturePart, "base64url")
    )
    if (!signed) return invalid("Invalid assertion: signature does not match")
    const { aud, sub, jti, exp } = payload
    if (typeof sub !== "string" || typeof jti !== "string") return invalid("Invalid assertion: missing claims")
    if (typeof aud !== "string" || !audiences.includes(aud)) return invalid("Invalid assertion: wrong audience")
    if (exp !== undefined && typeof exp !== "number") return invalid("Invalid assertion: bad expiry")
    if (exp !== undefined && exp <= nowSeconds) {
      return { ok: false, rejection: { errorCode: "OAU-210", message: "Token expired" } }
    }
    return { ok: true, claims: { sub, jti, aud, exp } }
  }
}

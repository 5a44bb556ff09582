/**
 * The configuration: read from the environment (or given as options), validated with no network call, with
 * every secret held as `Redacted` from the moment it is read. A bad value fails with a `ConfigError` that names
 * the variable and says what to put in it.
 */
import { Clock, Config, Context, Effect, Layer, Option, Redacted, Schema } from "effect"
import { ConfigError } from "./Errors.ts"
import { audienceWarnings, inspect } from "./JwtCredential.ts"

export type AuthMethod = "jwt" | "password"
export const logFormats = ["pretty", "json", "logfmt"] as const
export const logLevels = ["debug", "info", "warn", "error"] as const
export type LogFormat = typeof logFormats[number]
export type LogLevel = typeof logLevels[number]

export interface PasswordCredentials {
  readonly username: string
  readonly extension: string | undefined
  readonly password: Redacted.Redacted<string>
}

export interface AuthSettings {
  /** The platform URL, without a trailing slash. */
  readonly server: string
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  readonly method: AuthMethod
  readonly jwt: Redacted.Redacted<string> | undefined
  readonly password: PasswordCredentials | undefined
  /** Whether OAU-251 on the JWT grant may fall back to the password grant. */
  readonly passwordFallback: boolean
  readonly maxRetries: number
  readonly maxRetryWaitMs: number
  readonly timeoutMs: number
  readonly logFormat: LogFormat
  readonly logLevel: LogLevel
  /** Problems worth a warning but not a refusal, such as a JWT issued for another server. */
  readonly warnings: ReadonlyArray<string>
  /** Who the session is for, in the token store's key: the JWT's subject, or the password login. Not a secret. */
  readonly sessionUser: string
}

/** Options for a library user who does not read the environment. Secrets must already be `Redacted`. */
export interface AuthOptions {
  readonly serverUrl?: string
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  readonly jwt?: Redacted.Redacted<string>
  readonly method?: AuthMethod
  readonly username?: string
  readonly extension?: string
  readonly password?: Redacted.Redacted<string>
  readonly passwordFallback?: boolean
  readonly maxRetries?: number
  readonly maxRetryWaitMs?: number
  readonly timeoutMs?: number
  readonly logFormat?: LogFormat
  readonly logLevel?: LogLevel
}

export const defaultServer = "https://platform.ringcentral.com"

/** Every variable read, in one place: the CLI's help and the auth status line list these names. */
export const variables = {
  server: "RINGCENTRAL_SERVER_URL",
  clientId: "RINGCENTRAL_CLIENT_ID",
  clientSecret: "RINGCENTRAL_CLIENT_SECRET",
  jwt: "RINGCENTRAL_JWT_TOKEN",
  method: "RINGCENTRAL_AUTH_METHOD",
  username: "RINGCENTRAL_USERNAME",
  extension: "RINGCENTRAL_EXTENSION",
  password: "RINGCENTRAL_PASSWORD",
  passwordFallback: "RINGCENTRAL_PASSWORD_FALLBACK",
  maxRetries: "RINGCENTRAL_MAX_RETRIES",
  maxRetryWaitMs: "RINGCENTRAL_MAX_RETRY_WAIT_MS",
  timeoutMs: "RINGCENTRAL_TIMEOUT_MS",
  logFormat: "RINGCENTRAL_LOG_FORMAT",
  logLevel: "RINGCENTRAL_LOG_LEVEL"
} as const

type Key = keyof typeof variables
type SecretKey = "clientSecret" | "jwt" | "password"

/** What was read, before validation: plain strings, and secrets already redacted. Empty means unset. */
export type RawSettings =
  & { readonly [K in Exclude<Key, SecretKey>]?: string | undefined }
  & { readonly [K in SecretKey]?: Redacted.Redacted<string> | undefined }

const readRaw: Effect.Effect<RawSettings, ConfigError> = Effect.gen(function*() {
  const plain = (key: Exclude<Key, SecretKey>) =>
    Config.option(Config.String(variables[key])).pipe(Config.map(Option.getOrUndefined))
  const secret = (key: SecretKey) =>
    Config.option(Config.Redacted(variables[key])).pipe(Config.map(Option.getOrUndefined))
  return yield* Config.all({
    server: plain("server"),
    clientId: plain("clientId"),
    clientSecret: secret("clientSecret"),
    jwt: secret("jwt"),
    method: plain("method"),
    username: plain("username"),
    extension: plain("extension"),
    password: secret("password"),
    passwordFallback: plain("passwordFallback"),
    maxRetries: plain("maxRetries"),
    maxRetryWaitMs: plain("maxRetryWaitMs"),
    timeoutMs: plain("timeoutMs"),
    logFormat: plain("logFormat"),
    logLevel: plain("logLevel")
  })
}).pipe(
  Effect.mapError(() =>
    new ConfigError({
      variable: "environment",
      problem: "could not be read",
      fix: "check that the environment and the .env file are readable"
    })
  )
)

const fromOptions = (options: AuthOptions): RawSettings => {
  const text = (value: string | number | boolean | undefined) => value === undefined ? undefined : String(value)
  return {
    server: options.serverUrl,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    jwt: options.jwt,
    method: options.method,
    username: options.username,
    extension: options.extension,
    password: options.password,
    passwordFallback: text(options.passwordFallback),
    maxRetries: text(options.maxRetries),
    maxRetryWaitMs: text(options.maxRetryWaitMs),
    timeoutMs: text(options.timeoutMs),
    logFormat: options.logFormat,
    logLevel: options.logLevel
  }
}

const present = (value: string | undefined) => value === undefined || value.trim() === "" ? undefined : value.trim()
const presentSecret = (value: Redacted.Redacted<string> | undefined) =>
  value === undefined || Redacted.value(value).trim() === "" ? undefined : value

const fail = (key: Key, problem: string, fix: string) => new ConfigError({ variable: variables[key], problem, fix })

const isLoopback = (hostname: string) =>
  hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)

const parseServer = (value: string | undefined): Effect.Effect<string, ConfigError> => {
  const text = present(value) ?? defaultServer
  const url = URL.canParse(text) ? new URL(text) : undefined
  const fix = `the platform URL, such as ${defaultServer}`
  if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:")) {
    return Effect.fail(fail("server", `"${text}" is not a URL`, fix))
  }
  if (url.protocol === "http:" && !isLoopback(url.hostname)) {
    return Effect.fail(fail("server", `uses plain http for ${url.hostname}, which would send credentials unencrypted`, `use https, as in ${defaultServer}; plain http is allowed only on loopback (localhost, 127.0.0.0/8, ::1)`))
  }
  return Effect.succeed(`${url.origin}${url.pathname.replace(/\/+$/, "")}`)
}

const Count = Schema.FiniteFromString.pipe(Schema.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)))

const parseCount = (key: Key, value: string | undefined, fallback: number, minimum: number) => {
  const text = present(value)
  if (text === undefined) return Effect.succeed(fallback)
  const parsed = Schema.decodeUnknownOption(Count)(text)
  return Option.isSome(parsed) && parsed.value >= minimum
    ? Effect.succeed(parsed.value)
    : Effect.fail(fail(key, `"${text}" is not a whole number of at least ${minimum}`, `a whole number, such as ${fallback} (the default)`))
}

const parseChoice = <A extends string>(key: Key, value: string | undefined, choices: ReadonlyArray<A>, fallback: A) => {
  const text = present(value)?.toLowerCase()
  if (text === undefined) return Effect.succeed(fallback)
  return (choices as ReadonlyArray<string>).includes(text)
    ? Effect.succeed(text as A)
    : Effect.fail(fail(key, `"${text}" is not one of ${choices.join(", ")}`, `one of ${choices.join(", ")}; ${fallback} is the default`))
}

/** Validates what was read, with no network call. */
export const validate = (raw: RawSettings): Effect.Effect<AuthSettings, ConfigError> =>
  Effect.gen(function*() {
    const server = yield* parseServer(raw.server)
    const clientId = present(raw.clientId)
    if (clientId === undefined) {
      return yield* fail("clientId", "is not set", "the app's Client ID, from its Credentials page in the Developer Console")
    }
    const clientSecret = presentSecret(raw.clientSecret)
    if (clientSecret === undefined) {
      return yield* fail("clientSecret", "is not set", "the app's Client Secret, from its Credentials page in the Developer Console")
    }
    const method = yield* parseChoice("method", raw.method, ["jwt", "password"] as const, "jwt")
    const fallbackText = yield* parseChoice("passwordFallback", raw.passwordFallback, ["true", "false"] as const, "true")
    const password = yield* passwordCredentials(raw, method)
    const jwt = presentSecret(raw.jwt)
    let warnings: ReadonlyArray<string> = []
    let sessionUser = password === undefined ? "unknown" : `password:${password.username}*${password.extension ?? ""}`
    if (method === "jwt") {
      if (jwt === undefined) {
        return yield* fail("jwt", "is not set, and the auth method is jwt", "a JWT credential from the Developer Console; or set RINGCENTRAL_AUTH_METHOD=password with password credentials")
      }
      const claims = yield* inspect(jwt, yield* Clock.currentTimeMillis)
      warnings = audienceWarnings(claims, server)
      sessionUser = `jwt:${claims.sub ?? "unknown"}`
    }
    return {
      server,
      clientId,
      clientSecret,
      method,
      jwt: method === "jwt" ? jwt : undefined,
      password,
      passwordFallback: fallbackText === "true",
      maxRetries: yield* parseCount("maxRetries", raw.maxRetries, 3, 0),
      maxRetryWaitMs: yield* parseCount("maxRetryWaitMs", raw.maxRetryWaitMs, 120_000, 0),
      timeoutMs: yield* parseCount("timeoutMs", raw.timeoutMs, 15_000, 1),
      logFormat: yield* parseChoice("logFormat", raw.logFormat, logFormats, "pretty"),
      logLevel: yield* parseChoice("logLevel", raw.logLevel, logLevels, "info"),
      warnings,
      sessionUser
    }
  })

const passwordCredentials = (raw: RawSettings, method: AuthMethod) =>
  Effect.gen(function*() {
    const username = present(raw.username)
    const password = presentSecret(raw.password)
    if (username === undefined && password === undefined) {
      if (method === "password") {
        return yield* fail("username", "is not set, and the auth method is password", "the user's phone number or email, with RINGCENTRAL_PASSWORD; or use RINGCENTRAL_AUTH_METHOD=jwt")
      }
      return undefined
    }
    if (username === undefined) {
      return yield* fail("username", "is not set, but RINGCENTRAL_PASSWORD is", "the user's phone number or email; or unset RINGCENTRAL_PASSWORD")
    }
    if (password === undefined) {
      return yield* fail("password", "is not set, but RINGCENTRAL_USERNAME is", "the user's password; or unset RINGCENTRAL_USERNAME")
    }
    return { username, extension: present(raw.extension), password } satisfies PasswordCredentials
  })

export class AuthConfig extends Context.Service<AuthConfig, AuthSettings>()("ringcentral-effect-auth/AuthConfig") {
  /** Reads the `RINGCENTRAL_*` variables through the current `ConfigProvider` (the environment by default). */
  static readonly layer: Layer.Layer<AuthConfig, ConfigError> = Layer.effect(AuthConfig, Effect.flatMap(readRaw, validate))

  /** Takes explicit options instead of the environment, with the same validation. */
  static readonly layerOptions = (options: AuthOptions): Layer.Layer<AuthConfig, ConfigError> =>
    Layer.effect(AuthConfig, validate(fromOptions(options)))

  /** The names of the credential variables that are set; never their values. */
  static readonly credentialNames = (settings: AuthSettings): ReadonlyArray<string> => [
    variables.clientSecret,
    ...(settings.jwt === undefined ? [] : [variables.jwt]),
    ...(settings.password === undefined ? [] : [
      variables.username,
      ...(settings.password.extension === undefined ? [] : [variables.extension]),
      variables.password
    ])
  ]
}

/** The settings read from the current `ConfigProvider` and validated, for tools that need them before any layer. */
export const readSettings: Effect.Effect<AuthSettings, ConfigError> = Effect.flatMap(readRaw, validate)

/**
 * `rc-auth`: checks RingCentral credentials and says exactly what is wrong. Log lines go to stderr; stdout holds
 * a short summary for a person, or with `--json` exactly one JSON object. Exit codes follow sysexits.
 */
import { Cause, Config, ConfigProvider, Console, Data, Effect, Layer, Option, Redacted } from "effect"
import { Command, Flag } from "effect/cli"
import { FetchHttpClient } from "effect/http"
import { existsSync, readFileSync } from "node:fs"
import { AuthConfig, type AuthSettings, type LogFormat, logFormats, type LogLevel, logLevels, readSettings, variables } from "./AuthConfig.ts"
import type { AuthResult } from "./Authentication.ts"
import type { AuthError } from "./Errors.ts"
import * as Logging from "./Logging.ts"
import { type Extension, RingCentral } from "./RingCentralClient.ts"
import * as TokenStoreConfig from "./TokenStoreConfig.ts"
import { TokenSession } from "./TokenSession.ts"

export const version = "0.1.0"

/** sysexits: what a script can branch on. */
export const ExitCode = {
  ok: 0,
  usage: 64,
  /** The server's answer broke the protocol (a 200 without a token, say). */
  protocol: 76,
  /** Credentials rejected: OAU-251 with no fallback, invalid_grant, invalid_client, ... */
  rejected: 77,
  /** Temporary: retries spent, or a wait over the cap. */
  temporary: 75,
  config: 78,
  internal: 70
} as const

export const exitCodeFor = (error: AuthError): number => {
  switch (error._tag) {
    case "ConfigError":
      return ExitCode.config
    case "UnauthorizedClient":
    case "InvalidGrant":
    case "InvalidClient":
    case "Rejected":
      return ExitCode.rejected
    case "RateLimited":
    case "ServiceUnavailable":
    case "Timeout":
    case "TransportError":
      return ExitCode.temporary
    case "InvalidResponse":
      return ExitCode.protocol
  }
}

const errorJson = (error: AuthError) => ({
  ok: false,
  error: { tag: error._tag, code: error.errorCode ?? null, status: error.status ?? null, message: error.message, hint: error.hint }
})

const successJson = (settings: AuthSettings, auth: AuthResult, me: Extension) => ({
  ok: true,
  method: auth.method,
  fallback: auth.fallback,
  server: settings.server,
  user: { id: me.id, name: me.name ?? null, extensionNumber: me.extensionNumber ?? null },
  account: { id: me.accountId },
  token: { expiresAt: new Date(auth.token.expiresAt).toISOString(), scope: auth.token.scope },
  attempts: auth.attempts
})

const successSummary = (settings: AuthSettings, auth: AuthResult, me: Extension) =>
  [
    `OK: authenticated to ${settings.server} with ${auth.method === "jwt" ? "the JWT grant" : "the password grant"}${auth.fallback ? " (fallback after OAU-251: enable the JWT grant for this app)" : ""}`,
    `  user:    ${me.name ?? "(no name)"}, extension ${me.extensionNumber ?? "-"} (id ${me.id}), account ${me.accountId}`,
    `  token:   expires ${new Date(auth.token.expiresAt).toISOString()}, scope ${auth.token.scope.join(" ") || "-"}`,
    `  requests: ${auth.attempts} token request${auth.attempts === 1 ? "" : "s"}`
  ].join("\n")

const errorSummary = (error: AuthError) =>
  [`FAILED: ${error._tag}: ${error.message}`, `  what to do: ${error.hint}`].join("\n")

class UsageError {
  readonly _tag = "UsageError"
  readonly message: string
  constructor(message: string) {
    this.message = message
  }
}

/** The environment first, then the .env file: real environment variables win. Flags win over both. */
const configProvider = (envFile: Option.Option<string>, overrides: Record<string, string | undefined>) =>
  Effect.gen(function*() {
    const path = Option.getOrElse(envFile, () => ".env")
    let provider = ConfigProvider.fromEnv()
    if (existsSync(path)) {
      provider = ConfigProvider.orElse(provider, ConfigProvider.fromDotEnvContents(readFileSync(path, "utf8")))
    } else if (Option.isSome(envFile)) {
      return yield* Effect.fail(new UsageError(`--env-file ${path}: no such file`))
    }
    const flags = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined))
    return ConfigProvider.orElse(ConfigProvider.fromEnvRecord(flags as Record<string, string>), provider)
  })

/** The log format and level before validation, so that a configuration error is logged as asked. */
const loggingOf = (provider: ConfigProvider.ConfigProvider) =>
  Effect.gen(function*() {
    const read = (name: string) => Config.option(Config.String(name))
    const pick = <A extends string>(value: Option.Option<string>, choices: ReadonlyArray<A>, fallback: A): A =>
      choices.find((choice) => choice === Option.getOrUndefined(value)?.trim().toLowerCase()) ?? fallback
    return {
      format: pick(yield* read(variables.logFormat), logFormats, "pretty"),
      level: pick(yield* read(variables.logLevel), logLevels, "info")
    }
  }).pipe(
    Effect.provide(ConfigProvider.layer(provider)),
    Effect.orElseSucceed(() => ({ format: "pretty" as LogFormat, level: "info" as LogLevel }))
  )

interface CommonFlags {
  readonly envFile: Option.Option<string>
  readonly logFormat: Option.Option<LogFormat>
  readonly logLevel: Option.Option<LogLevel>
}

interface CheckFlags extends CommonFlags {
  readonly json: boolean
  readonly keepSession: boolean
}

/**
 * What both commands share: read and validate the configuration (logging a ConfigError as asked, with no
 * request sent), then run `use` with the logger, the config provider and the settings in place.
 */
const withSettings = <A>(
  flags: CommonFlags,
  report: (error: AuthError) => Effect.Effect<number>,
  use: (config: AuthSettings, provider: ConfigProvider.ConfigProvider) => Effect.Effect<number, AuthError>
): Effect.Effect<number> =>
  Effect.gen(function*() {
    const provider = yield* configProvider(flags.envFile, {
      [variables.logFormat]: Option.getOrUndefined(flags.logFormat),
      [variables.logLevel]: Option.getOrUndefined(flags.logLevel)
    })
    const logging = yield* loggingOf(provider)
    const settings = yield* readSettings.pipe(Effect.provide(ConfigProvider.layer(provider)), Effect.result)
    if (settings._tag === "Failure") {
      const error = settings.failure
      yield* Effect.logError(`configuration error: ${error.message}`).pipe(
        Effect.annotateLogs({ variable: error.variable, hint: error.hint }),
        Effect.provide(Logging.layer(logging.format, logging.level))
      )
      return yield* report(error)
    }
    const config = settings.success
    return yield* use(config, provider).pipe(
      Effect.catch(report),
      Effect.provide(Logging.layer(config.logFormat, config.logLevel))
    )
  }).pipe(
    Effect.catch((error: UsageError) => Effect.as(Console.error(`rc-auth: ${error.message}`), ExitCode.usage))
  )

/** The session and what it stands on: the configured token store, the pipeline, the settings and fetch. */
const sessionLayer = (config: AuthSettings, provider: ConfigProvider.ConfigProvider) =>
  TokenSession.layerAll().pipe(
    Layer.provide(TokenStoreConfig.layerConfig.pipe(Layer.provide(ConfigProvider.layer(provider)))),
    Layer.provideMerge(Layer.succeed(AuthConfig, config)),
    Layer.provide(FetchHttpClient.layer)
  )

/** Validates, authenticates, calls whoami, prints the result and revokes the session it opened: the exit code. */
export const check = (flags: CheckFlags): Effect.Effect<number> => {
  const report = (error: AuthError) =>
    Effect.as(Console.log(flags.json ? JSON.stringify(errorJson(error)) : errorSummary(error)), exitCodeFor(error))
  return withSettings(flags, report, (config, provider) =>
    Effect.gen(function*() {
      const rc = yield* RingCentral
      const me = yield* rc.whoami
      yield* Console.log(flags.json ? JSON.stringify(successJson(config, rc.auth, me)) : successSummary(config, rc.auth, me))
      return ExitCode.ok
    }).pipe(
      Effect.provide(RingCentral.layer({ keepSession: flags.keepSession }).pipe(Layer.provide(sessionLayer(config, provider))))
    ))
}

/** Prints a valid access token, one line, and nothing else on stdout. Never revokes: the token is in use. */
export const token = (flags: CommonFlags): Effect.Effect<number> => {
  const report = (error: AuthError) => Effect.as(Console.error(errorSummary(error)), exitCodeFor(error))
  return withSettings(flags, report, (config, provider) =>
    Effect.gen(function*() {
      const session = yield* TokenSession
      if (!session.shared) {
        yield* Effect.logWarning("RINGCENTRAL_TOKEN_STORE is not set: each run logs in anew (5 logins a minute at most); set it to file:<path> or redis://host:port/db to share one session")
      }
      const current = yield* session.token
      yield* Console.log(Redacted.value(current.accessToken))
      return ExitCode.ok
    }).pipe(Effect.provide(sessionLayer(config, provider))))
}

const envFile = Flag.String("env-file").pipe(
  Flag.withDescription("Read RINGCENTRAL_* variables from this file (default ./.env when present); real environment variables win"),
  Flag.optional
)
const logFormat = Flag.Literals("log-format", ["pretty", "json", "logfmt"] as const).pipe(
  Flag.withDescription("Log line format on stderr (default pretty, or RINGCENTRAL_LOG_FORMAT)"),
  Flag.optional
)
const logLevel = Flag.Literals("log-level", ["debug", "info", "warn", "error"] as const).pipe(
  Flag.withDescription("Minimum log level (default info, or RINGCENTRAL_LOG_LEVEL)"),
  Flag.optional
)
const json = Flag.Boolean("json").pipe(
  Flag.withDescription("Print exactly one JSON object on stdout instead of the summary"),
  Flag.withDefault(false)
)
const keepSession = Flag.Boolean("keep-session").pipe(
  Flag.withDescription("Do not revoke the session this check opened"),
  Flag.withDefault(false)
)

/** A command's non-zero exit code, carried out of the command runner to `main`. */
class ExitWith extends Data.TaggedError("ExitWith")<{ readonly code: number }> {}

const exitWith = (code: Effect.Effect<number>) =>
  Effect.flatMap(code, (n) => n === ExitCode.ok ? Effect.void : Effect.fail(new ExitWith({ code: n })))

const exitCodes = "Exit codes: 0 ok, 64 usage, 75 temporary failure, 76 unexpected server response, " +
  "77 credentials rejected, 78 configuration error, 70 internal error, 130 interrupted."

const checkCommand = Command.make("check", { envFile, logFormat, logLevel, json, keepSession }, (flags) => exitWith(check(flags))).pipe(
  Command.withDescription(
    "Check RingCentral credentials: validate the configuration, log in (JWT first, password only after OAU-251), " +
      `read the user, print the result and revoke the session it opened. ${exitCodes}`
  ),
  Command.withExamples([
    { command: "rc-auth check", description: "Check the credentials in the environment or ./.env" },
    { command: "rc-auth check --json", description: "One JSON object on stdout, for scripts" },
    { command: "rc-auth check --env-file staging.env --log-level debug", description: "Another file, with every request logged" }
  ])
)

const tokenCommand = Command.make("token", { envFile, logFormat, logLevel }, (flags) => exitWith(token(flags))).pipe(
  Command.withDescription(
    "Print a valid access token on stdout, one line, for scripts. It uses the token store in " +
      `RINGCENTRAL_TOKEN_STORE (file:<path> or redis://host:port/db) so that processes share one session, and never revokes it. ${exitCodes}`
  ),
  Command.withExamples([
    {
      command: "curl -H \"Authorization: Bearer $(npx rc-auth token)\" https://platform.ringcentral.com/restapi/v1.0/account/~/extension/~",
      description: "Call the API from a shell script"
    },
    { command: "RINGCENTRAL_TOKEN_STORE=file:$HOME/.rc-auth/tokens.json rc-auth token", description: "Share one session between scripts" }
  ])
)

export const rcAuth = Command.make("rc-auth").pipe(
  Command.withDescription("Authenticate to the RingCentral REST API: check credentials and print tokens for scripts"),
  Command.withSubcommands([checkCommand, tokenCommand])
)

/** Runs the command line; resolves to the process exit code, never fails. */
export const main = (argv: ReadonlyArray<string>): Effect.Effect<number, never, Command.Environment> =>
  Command.runWith(rcAuth, { version })(argv).pipe(
    Effect.as<number>(ExitCode.ok),
    Effect.catchTag("ExitWith", (exit) => Effect.succeed(exit.code)),
    // Help shown because of a parse error or a missing subcommand; a plain --help succeeds instead.
    Effect.catchTag("ShowHelp", () => Effect.succeed(ExitCode.usage)),
    Effect.catch((error) => Effect.as(Console.error(`rc-auth: ${error.message}`), ExitCode.usage)),
    Effect.catchCause((cause) => {
      // Ctrl-C or SIGTERM: let the runtime end the process as interrupted (130), not as an internal error.
      if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
      const error = Cause.squash(cause)
      return Effect.as(Console.error(`rc-auth: internal error: ${error instanceof Error ? error.message : "unknown"}`), ExitCode.internal)
    })
  )

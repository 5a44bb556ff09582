/**
 * The structured logger: pretty, JSON or logfmt lines on stderr, at a minimum level. Data goes in
 * annotations (method, attempt, status, errorCode, elapsed), never secrets.
 */
import { Layer, Logger, References } from "effect"
import type { LogFormat, LogLevel } from "./AuthConfig.ts"

const levels = { debug: "Debug", info: "Info", warn: "Warn", error: "Error" } as const

const loggerFor = (format: LogFormat) => {
  switch (format) {
    case "json":
      return Logger.withConsoleError(Logger.formatJson)
    case "logfmt":
      return Logger.withConsoleError(Logger.formatLogFmt)
    case "pretty":
      return Logger.consolePretty()
  }
}

/** Replaces the default logger, and sends every line to stderr so stdout stays for results (`LogToStderr` only
 * moves the pretty logger; the JSON and logfmt ones are built on `console.error` for the same reason). */
export const layer = (format: LogFormat, level: LogLevel): Layer.Layer<never> =>
  Layer.mergeAll(
    Logger.layer([loggerFor(format)]),
    Layer.succeed(References.MinimumLogLevel, levels[level]),
    Layer.succeed(Logger.LogToStderr, true)
  )

/** Log annotations without the fields that have no value, so a line never reads "status: undefined". */
export const fields = (values: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined))

/**
 * A local emulator of RingCentral's auth surface, served over real HTTP so that any client, the real SDK
 * included, can log in, refresh, revoke and read the extension with no account and no network. Offered as an
 * Effect layer and as a start/stop API for plain Promise code.
 */
import { NodeHttpServer, NodeHttpServerRequest } from "@effect/platform-node"
import { Context, Duration, Effect, Layer, ManagedRuntime, Redacted, Schema } from "effect"
import { HttpServer, HttpServerError, HttpServerRequest, HttpServerResponse } from "effect/http"
import { createServer } from "node:http"
import { demoJwtApp, demoPasswordApp, demoUser } from "./Directory.ts"
import {
  apiError,
  EmulatedPlatform,
  extensionPath,
  type IncomingRequest,
  type MintJwtOptions,
  type PlatformOptions,
  type Reply,
  revokePath,
  tokenPath
} from "./EmulatedPlatform.ts"
import { type Fault, Faults } from "./Faults.ts"
import { RequestLog, type RequestLogEntry } from "./RequestLog.ts"

export interface EmulatorOptions extends Partial<PlatformOptions> {
  /** 0, the default, picks any free port. */
  readonly port?: number
  readonly host?: string
}

export interface EmulatorService {
  /** `http://127.0.0.1:<port>`: the server URL to give a client. */
  readonly url: string
  readonly tokenUrl: string
  /** A JWT credential for one of the emulator's users, signed with its own key. */
  readonly mintJwt: (options?: MintJwtOptions) => Effect.Effect<Redacted.Redacted<string>>
  /** Queues what the next requests to `path` get instead of the normal answer. */
  readonly script: (path: string, ...faults: ReadonlyArray<Fault>) => Effect.Effect<void>
  /** Every request answered so far, in order. */
  readonly requests: Effect.Effect<ReadonlyArray<RequestLogEntry>>
  readonly clearRequests: Effect.Effect<void>
  /** Every access and refresh token issued so far, for tests that check a client never prints one. */
  readonly issuedTokens: Effect.Effect<ReadonlyArray<Redacted.Redacted<string>>>
  /** Moves the emulator's clock forward, to expire tokens or end a rate-limit window without waiting. */
  readonly advanceClock: (duration: Duration.Input) => Effect.Effect<void>
  /** Ends every session and clears the rate limits, the scripted faults, the log and the clock offset. */
  readonly reset: Effect.Effect<void>
}

export class Emulator extends Context.Service<Emulator, EmulatorService>()("ringcentral-effect-auth/Emulator") {}

export const defaults = {
  apps: [demoJwtApp, demoPasswordApp],
  users: [demoUser],
  accessTokenTtlSeconds: 3600,
  refreshTokenTtlSeconds: 604800,
  sessionLimit: 5,
  refreshGraceSeconds: 10,
  authRateLimit: 5,
  apiRateLimit: 50
} satisfies PlatformOptions

const routes: Record<string, { readonly method: string; readonly handle: (platform: EmulatedPlatform, request: IncomingRequest) => Reply }> = {
  [tokenPath]: { method: "POST", handle: (platform, request) => platform.token(request) },
  [revokePath]: { method: "POST", handle: (platform, request) => platform.revoke(request) },
  [extensionPath]: { method: "GET", handle: (platform, request) => platform.extension(request) }
}

const route = (platform: EmulatedPlatform, request: IncomingRequest): Reply => {
  const found = routes[request.path]
  if (found === undefined) return apiError(404, "CMN-102", "Resource not found")
  if (found.method !== request.method) return apiError(405, "CMN-405", "Method not allowed")
  return found.handle(platform, request)
}

const toResponse = (status: number, headers: Readonly<Record<string, string>>, body: unknown) => {
  if (body === undefined || body === "") return HttpServerResponse.empty({ status, headers })
  if (typeof body === "string") {
    const contentType = Object.entries(headers).find(([name]) => name.toLowerCase() === "content-type")?.[1]
    return HttpServerResponse.text(body, { status, headers, contentType: contentType ?? "text/html" })
  }
  return HttpServerResponse.jsonUnsafe(body, { status, headers })
}

/** Waits on the wall clock: the emulator is a real server and must not follow a test's TestClock. */
const sleepLive = (ms: number) =>
  Effect.callback<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), ms)
    return Effect.sync(() => clearTimeout(timer))
  })

const FaultSchema = Schema.Union([
  Schema.Struct({
    kind: Schema.Literal("respond"),
    status: Schema.Int,
    headers: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
    body: Schema.optionalKey(Schema.Unknown),
    delayMs: Schema.optionalKey(Schema.Finite)
  }),
  Schema.Struct({ kind: Schema.Literal("delay"), delayMs: Schema.Finite }),
  Schema.Struct({ kind: Schema.Literals(["reset", "close"]), delayMs: Schema.optionalKey(Schema.Finite) })
])
const ScriptBody = Schema.Struct({ path: Schema.String, faults: Schema.Array(FaultSchema) })
const MintBody = Schema.Struct({
  userId: Schema.optionalKey(Schema.Union([Schema.String, Schema.Finite])),
  clientIds: Schema.optionalKey(Schema.Array(Schema.String)),
  expiresInSeconds: Schema.optionalKey(Schema.Finite)
})
const ClockBody = Schema.Struct({ advanceMs: Schema.Finite })

interface Parts {
  readonly platform: EmulatedPlatform
  readonly faults: Faults
  readonly log: RequestLog
}

const resetAll = ({ platform, faults, log }: Parts) => {
  platform.reset()
  faults.clear()
  log.clear()
}

/** The `/_emulator/` control surface, for clients in another process. Its requests are not logged. */
const control = (parts: Parts, request: HttpServerRequest.HttpServerRequest, path: string) =>
  Effect.gen(function*() {
    const { platform, faults, log } = parts
    const json = <S extends Schema.Top>(schema: S) =>
      request.json.pipe(Effect.flatMap((body) => Schema.decodeUnknownEffect(schema)(body ?? {})))
    switch (`${request.method} ${path}`) {
      case "GET /_emulator/requests":
        return HttpServerResponse.jsonUnsafe({ requests: log.list() })
      case "DELETE /_emulator/requests":
        log.clear()
        return HttpServerResponse.empty({ status: 204 })
      case "POST /_emulator/faults": {
        const body = yield* json(ScriptBody)
        faults.script(body.path, body.faults)
        return HttpServerResponse.jsonUnsafe({ pending: faults.pending() })
      }
      case "DELETE /_emulator/faults":
        faults.clear()
        return HttpServerResponse.empty({ status: 204 })
      case "POST /_emulator/jwt": {
        const body = yield* json(MintBody)
        return HttpServerResponse.jsonUnsafe({ jwt: platform.mintJwt(body) })
      }
      case "POST /_emulator/clock": {
        const body = yield* json(ClockBody)
        return HttpServerResponse.jsonUnsafe({ now: new Date(platform.advanceClock(body.advanceMs)).toISOString() })
      }
      case "POST /_emulator/reset":
        resetAll(parts)
        return HttpServerResponse.empty({ status: 204 })
      case "GET /_emulator/state":
        return HttpServerResponse.jsonUnsafe({
          now: new Date(platform.now()).toISOString(),
          openSessions: platform.sessions.openCount(),
          pendingFaults: faults.pending()
        })
      default:
        return HttpServerResponse.jsonUnsafe({ error: `No control endpoint ${request.method} ${path}` }, { status: 404 })
    }
  }).pipe(
    Effect.catch((error) => Effect.succeed(HttpServerResponse.jsonUnsafe({ error: String(error) }, { status: 400 })))
  )

const handle = (parts: Parts) =>
  Effect.gen(function*() {
    const { platform, faults, log } = parts
    const request = yield* HttpServerRequest.HttpServerRequest
    const started = performance.now()
    const path = new URL(request.url, "http://emulator").pathname
    if (path.startsWith("/_emulator/")) return yield* control(parts, request, path)

    const body = request.method === "POST" ? yield* Effect.orElseSucceed(request.text, () => "") : ""
    const header = (name: string) => request.headers[name]
    const at = new Date(platform.now()).toISOString()
    const grantType = path === tokenPath ? new URLSearchParams(body).get("grant_type") ?? undefined : undefined
    const record = (status: number, fault: Fault | undefined, reply?: Reply) =>
      log.add({
        at,
        method: request.method,
        path,
        grantType,
        clientId: reply?.clientId,
        status,
        errorCode: reply?.errorCode,
        fault: fault?.kind,
        durationMs: Math.round((performance.now() - started) * 100) / 100
      })

    const fault = faults.take(path)
    // A client that gives up during a delay gets nothing: logged as no response.
    if (fault?.delayMs !== undefined) yield* Effect.onInterrupt(sleepLive(fault.delayMs), () => Effect.sync(() => record(0, fault)))
    if (fault?.kind === "reset" || fault?.kind === "close") {
      const socket = NodeHttpServerRequest.toIncomingMessage(request).socket
      if (fault.kind === "reset") socket.resetAndDestroy()
      else socket.destroy()
      record(0, fault)
      return yield* Effect.interrupt
    }
    if (fault?.kind === "respond") {
      const errorCode = scriptedErrorCode(fault.body)
      record(fault.status, fault, { status: fault.status, headers: {}, body: undefined, errorCode, clientId: undefined })
      return toResponse(fault.status, fault.headers ?? {}, fault.body)
    }
    const reply = route(platform, { method: request.method, path, header, body, origin: `http://${header("host") ?? ""}` })
    record(reply.status, fault, reply)
    return toResponse(reply.status, reply.headers, reply.body)
  })

/** The code a scripted RingCentral-shaped error body carries, so the log shows it like a real one. */
const scriptedErrorCode = (body: unknown): string | undefined => {
  if (typeof body !== "object" || body === null) return undefined
  const record = body as { errorCode?: unknown; errors?: ReadonlyArray<{ errorCode?: unknown }> }
  const code = record.errorCode ?? record.errors?.[0]?.errorCode
  return typeof code === "string" ? code : undefined
}

const makeService = (parts: Parts, url: string): EmulatorService => ({
  url,
  tokenUrl: `${url}${tokenPath}`,
  mintJwt: (options) => Effect.sync(() => Redacted.make(parts.platform.mintJwt(options))),
  script: (path, ...scripted) => Effect.sync(() => parts.faults.script(path, scripted)),
  requests: Effect.sync(() => parts.log.list()),
  clearRequests: Effect.sync(() => parts.log.clear()),
  issuedTokens: Effect.sync(() => parts.platform.sessions.issuedTokens().map((token) => Redacted.make(token))),
  advanceClock: (duration) => Effect.sync(() => void parts.platform.advanceClock(Duration.toMillis(duration))),
  reset: Effect.sync(() => resetAll(parts))
})

const serveEmulator = (options: EmulatorOptions) =>
  Effect.gen(function*() {
    const parts: Parts = {
      platform: new EmulatedPlatform({ ...defaults, ...withoutUndefined(options) }),
      faults: new Faults(),
      log: new RequestLog()
    }
    const server = yield* HttpServer.HttpServer
    const url = HttpServer.formatAddress(server.address)
    parts.platform.baseUrl = url
    yield* server.serve(Effect.interruptible(handle(parts)))
    return Emulator.of(makeService(parts, url))
  })

const withoutUndefined = <T extends object>(options: T): Partial<T> =>
  Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>

/** The emulator as a layer: it listens while the layer's scope is open and gives its URL and controls. */
export const layer = (options: EmulatorOptions = {}): Layer.Layer<Emulator, HttpServerError.ServeError> =>
  Layer.effect(Emulator, serveEmulator(options)).pipe(
    Layer.provide(NodeHttpServer.layerServer(createServer, { port: options.port ?? 0, host: options.host ?? "127.0.0.1" }))
  )

/** A running emulator for Promise code. Secrets come back as plain strings, ready for an SDK. */
export interface RunningEmulator {
  readonly url: string
  readonly tokenUrl: string
  readonly mintJwt: (options?: MintJwtOptions) => string
  readonly script: (path: string, ...faults: ReadonlyArray<Fault>) => void
  readonly requests: () => ReadonlyArray<RequestLogEntry>
  readonly clearRequests: () => void
  readonly issuedTokens: () => ReadonlyArray<string>
  readonly advanceClock: (ms: number) => void
  readonly reset: () => void
  readonly stop: () => Promise<void>
}

/** Starts an emulator and resolves once it listens. */
export const start = async (options: EmulatorOptions = {}): Promise<RunningEmulator> => {
  const runtime = ManagedRuntime.make(layer(options))
  const emulator = await runtime.runPromise(Emulator)
  const run = <A>(effect: Effect.Effect<A>) => Effect.runSync(effect)
  return {
    url: emulator.url,
    tokenUrl: emulator.tokenUrl,
    mintJwt: (mintOptions) => Redacted.value(run(emulator.mintJwt(mintOptions))),
    script: (path, ...faults) => run(emulator.script(path, ...faults)),
    requests: () => run(emulator.requests),
    clearRequests: () => run(emulator.clearRequests),
    issuedTokens: () => run(emulator.issuedTokens).map((token) => Redacted.value(token)),
    advanceClock: (ms) => run(emulator.advanceClock(ms)),
    reset: () => run(emulator.reset),
    stop: () => runtime.dispose()
  }
}

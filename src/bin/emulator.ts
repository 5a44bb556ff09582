#!/usr/bin/env -S node --
/**
 * `npm run emulator`: runs the RingCentral emulator in the foreground and prints what a client needs to use it.
 * The credentials it prints are the emulator's own demo values, not real ones.
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Console, Effect, Redacted } from "effect"
import { Command, Flag } from "effect/cli"
import { demoJwtApp, demoPasswordApp, demoUser, Emulator, layer } from "../emulator/index.ts"

const emulator = Command.make(
  "emulator",
  {
    port: Flag.Int("port").pipe(Flag.withDescription("Port to listen on (default 0: any free port)"), Flag.withDefault(0)),
    host: Flag.String("host").pipe(Flag.withDescription("Address to listen on (default 127.0.0.1)"), Flag.withDefault("127.0.0.1")),
    noRateLimit: Flag.Boolean("no-rate-limit").pipe(
      Flag.withDescription("Switch off the 5-logins-a-minute auth limit and the API limit, for load tests"),
      Flag.withDefault(false)
    ),
    accessTokenTtl: Flag.Int("access-token-ttl").pipe(
      Flag.withDescription("Access token lifetime in seconds, expires_in (default 3600)"),
      Flag.withDefault(3600)
    ),
    sessionLimit: Flag.Int("session-limit").pipe(
      Flag.withDescription("Parallel sessions per user; a login past it ends the oldest (default 5)"),
      Flag.withDefault(5)
    )
  },
  Effect.fn(function*({ port, host, noRateLimit, accessTokenTtl, sessionLimit }) {
    const serve = Effect.gen(function*() {
      const running = yield* Emulator
      const jwt = Redacted.value(yield* running.mintJwt())
      yield* Console.log([
        `RingCentral emulator listening on ${running.url}`,
        "",
        "Demo credentials (emulator-only values; paste into your shell or .env):",
        `  RINGCENTRAL_SERVER_URL=${running.url}`,
        `  RINGCENTRAL_CLIENT_ID=${demoJwtApp.clientId}`,
        `  RINGCENTRAL_CLIENT_SECRET=${demoJwtApp.clientSecret ?? ""}`,
        `  RINGCENTRAL_JWT_TOKEN=${jwt}`,
        "",
        `An app without the JWT grant (JWT logins get OAU-251): ${demoPasswordApp.clientId} / ${demoPasswordApp.clientSecret ?? ""}`,
        `Password login: RINGCENTRAL_USERNAME=${demoUser.username} RINGCENTRAL_EXTENSION=${demoUser.extensionNumber} RINGCENTRAL_PASSWORD=${demoUser.password}`,
        "",
        `More JWTs: curl -s -X POST ${running.url}/_emulator/jwt`,
        `Request log: curl -s ${running.url}/_emulator/requests`,
        "Press Ctrl-C to stop."
      ].join("\n"))
      return yield* Effect.never
    })
    return yield* serve.pipe(Effect.provide(layer({
      port,
      host,
      accessTokenTtlSeconds: accessTokenTtl,
      sessionLimit,
      ...(noRateLimit ? { authRateLimit: false, apiRateLimit: false } : {})
    })))
  })
).pipe(Command.withDescription("Run a local emulator of RingCentral's auth surface"))

emulator.pipe(Command.run({ version: "0.1.0" }), Effect.provide(NodeServices.layer), NodeRuntime.runMain)

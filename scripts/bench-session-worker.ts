/**
 * One process of `bench-session.ts`: makes API calls at a steady pace through either this project's shared
 * session or the bare `@ringcentral/sdk`, and prints how many calls failed. The emulator's log counts the rest.
 *
 *   node scripts/bench-session-worker.ts <shared|sdk> <url> <jwt> <calls> <intervalMs> <lifetimeMs> <storePath>
 */
import { SDK } from "@ringcentral/sdk"
import { Effect, Layer, Logger, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { AuthConfig, RingCentral, TokenSession, TokenStores } from "ringcentral-effect-auth"
import { demoJwtApp, extensionPath } from "ringcentral-effect-auth/emulator"

const [mode, url = "", jwt = "", callsText, intervalText, lifetimeText, storePath = ""] = process.argv.slice(2)
const calls = Number(callsText)
const intervalMs = Number(intervalText)
const lifetimeMs = Number(lifetimeText)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Calls the API `calls` times through `get`, returning how many calls failed. */
const drive = async (get: () => Promise<unknown>) => {
  let failed = 0
  for (let i = 0; i < calls; i++) {
    await get().catch(() => failed++)
    await sleep(intervalMs)
  }
  return failed
}

const viaSdk = async () => {
  // Time is scaled: one token lifetime is lifetimeMs, so the SDK's 60 s refresh margin scales with it.
  const sdk = new SDK({
    server: url,
    clientId: demoJwtApp.clientId,
    clientSecret: demoJwtApp.clientSecret ?? "",
    fetch,
    Request,
    Response,
    Headers,
    refreshHandicapMs: lifetimeMs / 60
  })
  const platform = sdk.platform()
  await platform.login({ jwt })
  return drive(() => platform.get(extensionPath))
}

const viaSharedSession = () => {
  const client = RingCentral.layer({ keepSession: true }).pipe(
    // The windows scale like the lifetime: 5 minutes and 30 seconds of an hour.
    Layer.provide(TokenSession.layerAll({ softWindow: lifetimeMs / 12, hardWindow: lifetimeMs / 120 })),
    Layer.provide(TokenStores.layerFile(storePath)),
    Layer.provideMerge(AuthConfig.layerOptions({
      serverUrl: url,
      clientId: demoJwtApp.clientId,
      clientSecret: Redacted.make(demoJwtApp.clientSecret ?? ""),
      jwt: Redacted.make(jwt)
    })),
    Layer.provide(FetchHttpClient.layer)
  )
  return Effect.runPromise(
    Effect.flatMap(RingCentral, (rc) => Effect.promise(() => drive(() => rc.platform.get(extensionPath)))).pipe(
      Effect.provide(client),
      Effect.provide(Logger.layer([]))
    )
  )
}

const failed = mode === "sdk" ? await viaSdk() : await viaSharedSession()
console.log(JSON.stringify({ failed }))

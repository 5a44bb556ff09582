import { assert, describe, layer } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest, HttpClientResponse } from "effect/http"
import { demoJwtApp, Emulator, layer as emulatorLayer, tokenPath } from "../src/emulator/index.ts"

describe("the emulator as an Effect layer", () => {
  layer(emulatorLayer())((it) => {
    it.effect("gives its URL and controls, and answers a JWT login over a real socket", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        assert.match(emulator.url, /^http:\/\/127\.0\.0\.1:\d+$/)
        const assertion = yield* emulator.mintJwt()
        assert.strictEqual(String(assertion), "<redacted>")
        const client = yield* HttpClient.HttpClient
        const response = yield* HttpClientRequest.post(emulator.tokenUrl).pipe(
          HttpClientRequest.basicAuth(demoJwtApp.clientId, demoJwtApp.clientSecret ?? ""),
          HttpClientRequest.bodyUrlParams({
            grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
            assertion: Redacted.value(assertion)
          }),
          client.execute
        )
        const body = yield* HttpClientResponse.filterStatusOk(response).pipe(Effect.flatMap((ok) => ok.json))
        assert.strictEqual((body as { expires_in: number }).expires_in, 3600)
        const requests = yield* emulator.requests
        assert.deepStrictEqual(requests.map((r) => [r.path, r.status]), [[tokenPath, 200]])
      }).pipe(Effect.provide(FetchHttpClient.layer)))
  })
})

/**
 * Chooses the token store from `RINGCENTRAL_TOKEN_STORE`: unset for memory, `file:<path>`, or
 * `redis://host:port/db`. A library user can pass a `TokenStore` layer instead.
 */
import { Config, Effect, Layer, Option } from "effect"
import { ConfigError } from "./Errors.ts"
import * as FileTokenStore from "./FileTokenStore.ts"
import * as RedisTokenStore from "./RedisTokenStore.ts"
import { TokenStore } from "./TokenStore.ts"

export const variable = "RINGCENTRAL_TOKEN_STORE"

/** A file store at `path`. */
export const layerFile = (path: string, options?: FileTokenStore.FileStoreOptions) =>
  Layer.succeed(TokenStore, TokenStore.of(FileTokenStore.make(path, options)))

/** A Redis store at `url`, connected for as long as the layer's scope is open. */
export const layerRedis = (url: string, options?: RedisTokenStore.RedisStoreOptions) =>
  Layer.effect(
    TokenStore,
    Effect.map(Effect.acquireRelease(Effect.sync(() => RedisTokenStore.make(url, options)), (redis) => redis.quit), (redis) => TokenStore.of(redis.store))
  )

/** The store a `RINGCENTRAL_TOKEN_STORE` value names, or a `ConfigError` that says what to write. */
export const layerFromSpec = (spec: string | undefined): Layer.Layer<TokenStore, ConfigError> => {
  const value = spec?.trim() ?? ""
  if (value === "" || value === "memory") return TokenStore.layerMemory
  if (value.startsWith("file:") && value.length > "file:".length) return layerFile(value.slice("file:".length))
  if ((value.startsWith("redis://") || value.startsWith("rediss://")) && URL.canParse(value)) return layerRedis(value)
  return Layer.effect(TokenStore, Effect.fail(
    new ConfigError({
      variable,
      problem: `"${value.replace(/\/\/[^@/]*@/, "//***@")}" is not a token store`,
      fix: "leave it unset for a per-process session, or use file:/path/to/tokens.json or redis://host:6379/0"
    })
  ))
}

/** Reads `RINGCENTRAL_TOKEN_STORE` through the current `ConfigProvider`. */
export const layerConfig: Layer.Layer<TokenStore, ConfigError> = Layer.unwrap(
  Effect.gen(function*() {
    return yield* Config.option(Config.String(variable))
  }).pipe(
    Effect.map((spec) => layerFromSpec(Option.getOrUndefined(spec))),
    Effect.orElseSucceed(() => TokenStore.layerMemory)
  )
)

/**
 * A token store in Redis, shared by processes on any machine that reaches it. The lock is `SET NX PX` with a
 * random owner token and a release that checks it, so a crashed holder's lock simply expires. Commands fail
 * fast while Redis is unreachable (no offline queue), and the client keeps reconnecting in the background.
 */
import { Effect } from "effect"
import { randomUUID } from "node:crypto"
import { createClient } from "redis"
import { decodeToken, encodeToken, StoreUnavailable, type TokenStoreService } from "./TokenStore.ts"

export interface RedisStoreOptions {
  /** How long a lock lives if its holder never releases it. Default 30 s. */
  readonly lockTtlMs?: number
  /** How long to wait for the lock before giving up on it. Default 60 s. */
  readonly lockWaitMs?: number
  /** Per-command timeout. Default 2 s. */
  readonly commandTimeoutMs?: number
}

const releaseScript = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`

/** Connects in the background; the store works whenever the connection is up. Close it with `quit`. */
export const make = (url: string, options: RedisStoreOptions = {}) => {
  const name = url.replace(/\/\/[^@/]*@/, "//***@")
  const lockTtlMs = options.lockTtlMs ?? 30_000
  const lockWaitMs = options.lockWaitMs ?? 60_000
  const timeoutMs = options.commandTimeoutMs ?? 2_000
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: timeoutMs, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1_000) }
  })
  // Connection errors surface as failed commands; the client's own error events must not crash the process.
  client.on("error", () => {})
  const connecting = client.connect().catch(() => undefined)
  // The first commands wait for the first connection, within the timeout; later ones fail fast while it is down.
  let firstConnection: Promise<unknown> | undefined = Promise.race([
    connecting,
    new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())
  ]).then(() => (firstConnection = undefined))

  const unavailable = (reason: string) => new StoreUnavailable({ store: name, reason })
  const command = <A>(what: string, run: () => Promise<A>) =>
    Effect.tryPromise({
      try: async () => {
        if (!client.isReady && firstConnection !== undefined) await firstConnection
        if (!client.isReady) throw new Error("not connected")
        let timer: NodeJS.Timeout | undefined
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
        })
        try {
          return await Promise.race([run(), timeout])
        } finally {
          clearTimeout(timer)
        }
      },
      catch: (error) => unavailable(`${what}: ${error instanceof Error ? error.message : String(error)}`)
    })
  const sessionKey = (key: string) => `rc-auth:session:${key}`
  const lockKey = (key: string) => `rc-auth:lock:${key}`

  const acquire = (key: string) =>
    Effect.gen(function*() {
      const owner = randomUUID()
      const started = Date.now()
      while ((yield* command("lock", () => client.set(lockKey(key), owner, { condition: "NX", expiration: { type: "PX", value: lockTtlMs } }))) !== "OK") {
        if (Date.now() - started > lockWaitMs) return yield* Effect.fail(unavailable(`lock held for over ${lockWaitMs} ms`))
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 20)))
      }
      return owner
    })
  const release = (key: string, owner: string) =>
    command("unlock", () => client.eval(releaseScript, { keys: [lockKey(key)], arguments: [owner] })).pipe(Effect.ignore)

  const store: TokenStoreService = {
    name,
    shared: true,
    get: (key) =>
      command("get", () => client.get(sessionKey(key))).pipe(
        Effect.map((text) => {
          if (text === null) return decodeToken(undefined)
          try {
            return decodeToken(JSON.parse(text))
          } catch {
            return decodeToken(undefined)
          }
        })
      ),
    set: (key, token) =>
      command("set", () =>
        client.set(sessionKey(key), JSON.stringify(encodeToken(token)), {
          expiration: { type: "PXAT", value: Math.round(token.refreshExpiresAt ?? token.expiresAt) }
        })).pipe(Effect.asVoid),
    remove: (key) => command("del", () => client.del(sessionKey(key))).pipe(Effect.asVoid),
    // Waiting for the lock can be interrupted; a lock left behind expires after lockTtlMs.
    withLock: (key, effect) => Effect.acquireUseRelease(Effect.interruptible(acquire(key)), () => effect, (owner) => release(key, owner)),
    isLocked: (key) => command("exists", () => client.exists(lockKey(key))).pipe(Effect.map((n) => n > 0))
  }
  const quit = Effect.promise(async () => {
    try {
      // close() waits for pending replies; with Redis down there are none to wait for, so stop reconnecting.
      if (client.isReady) await client.close()
      else client.destroy()
    } catch {
      // Already closed.
    }
  })
  return { store, quit }
}

/**
 * A token store in a JSON file, shared by the processes of one machine. Writes go to a temporary file that is
 * then renamed over the store, so a reader never sees half a file; both are mode 0600. The lock, one for the
 * whole file, is a lock file created exclusively, naming its holder's pid: a holder that crashed, or held it
 * too long, loses it.
 */
import { Effect } from "effect"
import { randomUUID } from "node:crypto"
import { promises as fs } from "node:fs"
import { dirname } from "node:path"
import { decodeToken, encodeToken, StoreUnavailable, type TokenStoreService } from "./TokenStore.ts"

export interface FileStoreOptions {
  /** A lock held longer than this is taken to be a crashed holder's. Default 30 s. */
  readonly staleLockMs?: number
  /** How long to wait for the lock before giving up on it. Default 60 s. */
  readonly lockWaitMs?: number
}

interface LockHolder {
  readonly pid: number
  readonly owner: string
  readonly acquiredAt: number
}

const code = (error: unknown) => (error as { code?: unknown }).code

/**
 * Creates the store's folder if its parent exists. Not `recursive`: on some paths (under /proc, for one) Node's
 * recursive mkdir never returns.
 */
const ensureDirectory = async (directory: string) => {
  try {
    await fs.mkdir(directory, { mode: 0o700 })
  } catch (error) {
    if (code(error) !== "EEXIST") throw error
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return code(error) === "EPERM"
  }
}

export const make = (path: string, options: FileStoreOptions = {}): TokenStoreService => {
  const name = `file:${path}`
  const lockPath = `${path}.lock`
  const staleLockMs = options.staleLockMs ?? 30_000
  const lockWaitMs = options.lockWaitMs ?? 60_000
  const unavailable = (reason: string) => new StoreUnavailable({ store: name, reason })
  const io = <A>(what: string, run: () => Promise<A>) =>
    Effect.tryPromise({ try: run, catch: (error) => unavailable(`${what}: ${String(code(error) ?? error)}`) })

  /** The whole file as a map of sessions; a missing or corrupt file reads as empty. */
  const readAll = io("read", async () => {
    try {
      const parsed: unknown = JSON.parse(await fs.readFile(path, "utf8"))
      const sessions = (parsed as { sessions?: unknown } | null)?.sessions
      return typeof sessions === "object" && sessions !== null ? { ...(sessions as Record<string, unknown>) } : {}
    } catch (error) {
      if (code(error) === "ENOENT" || error instanceof SyntaxError) return {}
      throw error
    }
  })

  const writeAll = (sessions: Record<string, unknown>) =>
    io("write", async () => {
      await ensureDirectory(dirname(path))
      const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`
      try {
        await fs.writeFile(temporary, JSON.stringify({ version: 1, sessions }), { mode: 0o600, flag: "wx" })
        await fs.rename(temporary, path)
      } finally {
        await fs.rm(temporary, { force: true })
      }
    })

  const readHolder = async (): Promise<LockHolder | undefined> => {
    try {
      const holder = JSON.parse(await fs.readFile(lockPath, "utf8")) as LockHolder
      return typeof holder.pid === "number" && typeof holder.acquiredAt === "number" ? holder : undefined
    } catch (error) {
      if (code(error) === "ENOENT") return undefined
      // Unreadable or half written: treat as held, by nobody alive, from now.
      return { pid: -1, owner: "", acquiredAt: Date.now() }
    }
  }
  const holderIsLive = (holder: LockHolder) =>
    (holder.pid === -1 || isAlive(holder.pid)) && Date.now() - holder.acquiredAt < staleLockMs

  const tryAcquire = (owner: string) =>
    io("lock", async () => {
      await ensureDirectory(dirname(path))
      try {
        const handle = await fs.open(lockPath, "wx", 0o600)
        await handle.writeFile(JSON.stringify({ pid: process.pid, owner, acquiredAt: Date.now() } satisfies LockHolder))
        await handle.close()
        return true
      } catch (error) {
        if (code(error) !== "EEXIST") throw error
        const holder = await readHolder()
        if (holder !== undefined && !holderIsLive(holder)) {
          // A crashed or stuck holder: take its lock away, then race for it again.
          await fs.rm(lockPath, { force: true })
        }
        return false
      }
    })

  const release = (owner: string) =>
    io("unlock", async () => {
      const holder = await readHolder()
      if (holder?.owner === owner) await fs.rm(lockPath, { force: true })
    }).pipe(Effect.ignore)

  const acquire = Effect.gen(function*() {
    const owner = randomUUID()
    const started = Date.now()
    while (!(yield* tryAcquire(owner))) {
      if (Date.now() - started > lockWaitMs) return yield* Effect.fail(unavailable(`lock ${lockPath} held for over ${lockWaitMs} ms`))
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 20)))
    }
    return owner
  })

  return {
    name,
    shared: true,
    get: (key) => Effect.map(readAll, (sessions) => decodeToken(sessions[key])),
    set: (key, token) =>
      Effect.flatMap(readAll, (sessions) => writeAll({ ...sessions, [key]: encodeToken(token) })),
    remove: (key) =>
      Effect.flatMap(readAll, (sessions) => {
        const { [key]: _removed, ...rest } = sessions
        return writeAll(rest)
      }),
    // Waiting for the lock can be interrupted (Ctrl-C); a lock left behind is taken over once its pid is gone.
    withLock: (_key, effect) => Effect.acquireUseRelease(Effect.interruptible(acquire), () => effect, release),
    isLocked: () => io("lock", readHolder).pipe(Effect.map((holder) => holder !== undefined && holderIsLive(holder)))
  }
}

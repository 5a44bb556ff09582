/**
 * Every request the emulator answered, in order, so a test can count exactly what a client sent. It holds
 * no secret: not the body, not the headers, only what identifies the request and its outcome.
 */

export interface RequestLogEntry {
  readonly seq: number
  /** When the request arrived, on the emulator's clock (ISO-8601). */
  readonly at: string
  readonly method: string
  readonly path: string
  /** The form's `grant_type` on token requests. */
  readonly grantType: string | undefined
  readonly clientId: string | undefined
  /** The status sent, or 0 when the connection was reset or closed without a response. */
  readonly status: number
  /** The RingCentral error code of an error response. */
  readonly errorCode: string | undefined
  /** Which scripted fault answered, if one did. */
  readonly fault: "respond" | "delay" | "reset" | "close" | undefined
  readonly durationMs: number
}

/** Past this many entries the oldest are dropped, so a long-running emulator stays small. */
const maxEntries = 100_000

export class RequestLog {
  private readonly entries: Array<RequestLogEntry> = []
  private seq = 0

  add(entry: Omit<RequestLogEntry, "seq">): RequestLogEntry {
    this.seq += 1
    const logged = { seq: this.seq, ...entry }
    this.entries.push(logged)
    if (this.entries.length > maxEntries) this.entries.splice(0, maxEntries / 10)
    return logged
  }

  list(): ReadonlyArray<RequestLogEntry> {
    return [...this.entries]
  }

  clear(): void {
    this.entries.length = 0
    this.seq = 0
  }
}

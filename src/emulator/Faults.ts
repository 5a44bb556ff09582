/**
 * Scripted responses: a test queues what the next requests to a path get, in place of the normal answer,
 * to play out the failures a real network and platform produce.
 */

export type Fault =
  /** Answer with this status, headers and body. A string body is sent as is; anything else as JSON. */
  | {
    readonly kind: "respond"
    readonly status: number
    readonly headers?: Readonly<Record<string, string>>
    readonly body?: unknown
    readonly delayMs?: number
  }
  /** Wait, then answer normally. */
  | { readonly kind: "delay"; readonly delayMs: number }
  /** Reset the connection (TCP RST) without a response. */
  | { readonly kind: "reset"; readonly delayMs?: number }
  /** Close the connection cleanly without a response. */
  | { readonly kind: "close"; readonly delayMs?: number }

export class Faults {
  private readonly queues = new Map<string, Array<Fault>>()

  script(path: string, faults: ReadonlyArray<Fault>): void {
    const queue = this.queues.get(path) ?? []
    queue.push(...faults)
    this.queues.set(path, queue)
  }

  /** The next scripted fault for a path, removed from its queue. */
  take(path: string): Fault | undefined {
    const queue = this.queues.get(path)
    const fault = queue?.shift()
    if (queue !== undefined && queue.length === 0) this.queues.delete(path)
    return fault
  }

  pending(): Record<string, number> {
    return Object.fromEntries([...this.queues].map(([path, queue]) => [path, queue.length]))
  }

  clear(): void {
    this.queues.clear()
  }
}

/**
 * The typed IPC protocol between the primary (control plane) and its workers (data plane), and
 * the guards that turn an untyped IPC message back into it. Every payload is plain JSON data: a
 * config travels as the JSON text of the validated config, so no class instance, prototype or
 * Date crosses the process boundary.
 */

/** One backend's health verdict, as the primary's monitors last saw it. */
export interface HealthEntry {
  readonly upstream: string
  readonly address: string
  readonly healthy: boolean
}

/** Primary → worker. */
export type ToWorker =
  | {
      readonly type: 'config'
      readonly version: number
      /** hashConfig() of the config, as the primary computed it. */
      readonly hash: string
      /** JSON text of the validated PingapConfig without its hash. */
      readonly config: string
      /** `[item, file]` pairs, so a rejection names the file. */
      readonly sources: ReadonlyArray<readonly [string, string]>
      /** The whole health table, applied right after the version is swapped in. */
      readonly health: readonly HealthEntry[]
    }
  | ({ readonly type: 'health' } & HealthEntry)
  | { readonly type: 'drain'; readonly graceMs: number; readonly timeoutMs: number }
  /** Send your metrics (prom-client's JSON) as `metrics` with the same id. */
  | { readonly type: 'metrics-collect'; readonly id: number }
  /** The answer to a `metrics-request`: the cluster's text exposition, or why there is none. */
  | {
      readonly type: 'metrics-reply'
      readonly id: number
      readonly text?: string
      readonly error?: string
    }

/** Worker → primary. */
export type ToPrimary =
  /** The worker's message handler is installed: send it the current version. */
  | { readonly type: 'hello' }
  /** The first version is applied and every listener is open. */
  | { readonly type: 'ready'; readonly version: number }
  | { readonly type: 'applied'; readonly version: number }
  | {
      readonly type: 'rejected'
      readonly version: number
      readonly code: string
      readonly errors: readonly string[]
    }
  /** A scrape arrived on this worker: send back the sum over every worker. */
  | { readonly type: 'metrics-request'; readonly id: number }
  /** This worker's metrics, as `Registry.getMetricsAsJSON()` gives them. */
  | { readonly type: 'metrics'; readonly id: number; readonly metrics: readonly unknown[] }

/** Every message of this protocol carries this tag, so node:cluster's own messages are skipped. */
export const PROTOCOL = 'pingap-ts/1'

/** A message as it travels: the protocol tag plus the payload. */
export type Envelope<T> = T & { readonly protocol: typeof PROTOCOL }

/** Tags `message` for sending. */
export function envelope<T extends object>(message: T): Envelope<T> {
  return { ...message, protocol: PROTOCOL }
}

function tagged(
  value: unknown,
): value is { protocol: string; type: string } & Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { protocol?: unknown }).protocol === PROTOCOL &&
    typeof (value as { type?: unknown }).type === 'string'
  )
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const isString = (v: unknown): v is string => typeof v === 'string'

function isHealth(m: Record<string, unknown>): boolean {
  return isString(m['upstream']) && isString(m['address']) && typeof m['healthy'] === 'boolean'
}

/** The message as ToWorker, or undefined when it is not one (e.g. a node:cluster message). */
export function asToWorker(value: unknown): ToWorker | undefined {
  if (!tagged(value)) return undefined
  switch (value.type) {
    case 'config':
      return isNumber(value['version']) &&
        isString(value['hash']) &&
        isString(value['config']) &&
        Array.isArray(value['sources']) &&
        Array.isArray(value['health'])
        ? (value as unknown as ToWorker)
        : undefined
    case 'health':
      return isHealth(value) ? (value as unknown as ToWorker) : undefined
    case 'drain':
      return isNumber(value['graceMs']) && isNumber(value['timeoutMs'])
        ? (value as unknown as ToWorker)
        : undefined
    case 'metrics-collect':
      return isNumber(value['id']) ? (value as unknown as ToWorker) : undefined
    case 'metrics-reply':
      return isNumber(value['id']) ? (value as unknown as ToWorker) : undefined
    default:
      return undefined
  }
}

/** The message as ToPrimary, or undefined when it is not one. */
export function asToPrimary(value: unknown): ToPrimary | undefined {
  if (!tagged(value)) return undefined
  switch (value.type) {
    case 'hello':
      return { type: 'hello' }
    case 'ready':
    case 'applied':
      return isNumber(value['version']) ? (value as unknown as ToPrimary) : undefined
    case 'rejected':
      return isNumber(value['version']) && isString(value['code']) && Array.isArray(value['errors'])
        ? (value as unknown as ToPrimary)
        : undefined
    case 'metrics-request':
      return isNumber(value['id']) ? (value as unknown as ToPrimary) : undefined
    case 'metrics':
      return isNumber(value['id']) && Array.isArray(value['metrics'])
        ? (value as unknown as ToPrimary)
        : undefined
    default:
      return undefined
  }
}

/**
 * Node's own llhttp binding (the parser behind `node:http`), reached through the internal
 * `_http_common` module. It parses upstream responses natively and strictly (chunked framing,
 * Content-Length rules, header syntax), several times cheaper per response than a parser in
 * JavaScript or WebAssembly. It is not a public API, so it is feature-checked at load and the
 * caller falls back to undici when it is missing or has another shape.
 */

/** One native parser instance; callbacks are installed on numeric slots (kOn* constants). */
export interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void
  /** Parses `data`; returns the bytes consumed, or an Error carrying an `HPE_*` code. */
  execute(data: Buffer): number | Error
  /** Signals end of input (a body delimited by the connection closing completes here). */
  finish(): number | Error | undefined
  free(): void
  /** Deletes the native parser (see releaseParser). */
  close(): void
  /** Reads a stream handle directly (no 'data' events); results come to kOnExecute. */
  consume(handle: object): void
  unconsume(): void
  /** The buffer of the read being parsed (consume mode). */
  getCurrentBuffer(): Buffer
  [slot: number]: unknown
}

/** The constructor and the callback slot numbers of the native parser. */
export interface NativeParserBinding {
  create(): NativeParser
  readonly REQUEST: number
  readonly RESPONSE: number
  readonly kOnMessageBegin: number
  readonly kOnHeaders: number
  readonly kOnHeadersComplete: number
  readonly kOnBody: number
  readonly kOnMessageComplete: number
  readonly kOnExecute: number
  readonly kLenientNone: number
  /** llhttp's method names by number, as far as node:http lists them (0–33 in order). */
  readonly methods: readonly string[]
}

interface ParserClass {
  new (): NativeParser
  readonly REQUEST: unknown
  readonly RESPONSE: unknown
  readonly kOnMessageBegin: unknown
  readonly kOnHeaders: unknown
  readonly kOnHeadersComplete: unknown
  readonly kOnBody: unknown
  readonly kOnMessageComplete: unknown
  readonly kOnExecute: unknown
  readonly kLenientNone: unknown
}

const SLOTS = [
  'REQUEST',
  'RESPONSE',
  'kOnMessageBegin',
  'kOnHeaders',
  'kOnHeadersComplete',
  'kOnBody',
  'kOnMessageComplete',
  'kOnExecute',
] as const

function hasShape(candidate: unknown): candidate is ParserClass {
  if (typeof candidate !== 'function') return false
  const cls = candidate as unknown as Record<string, unknown>
  if (!SLOTS.every((slot) => typeof cls[slot] === 'number')) return false
  const proto = (candidate as { prototype?: Record<string, unknown> }).prototype
  return (
    typeof proto?.['initialize'] === 'function' &&
    typeof proto['execute'] === 'function' &&
    typeof proto['finish'] === 'function' &&
    typeof proto['free'] === 'function' &&
    typeof proto['close'] === 'function' &&
    typeof proto['consume'] === 'function' &&
    typeof proto['unconsume'] === 'function' &&
    typeof proto['getCurrentBuffer'] === 'function'
  )
}

function load(): NativeParserBinding | undefined {
  try {
    const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule
    const common = getBuiltin?.('_http_common') as
      { HTTPParser?: unknown; methods?: unknown } | undefined
    const cls = common?.HTTPParser
    const methods = common?.methods
    if (!hasShape(cls) || !Array.isArray(methods)) return undefined
    return {
      create: () => new cls(),
      REQUEST: cls.REQUEST as number,
      RESPONSE: cls.RESPONSE as number,
      kOnMessageBegin: cls.kOnMessageBegin as number,
      kOnHeaders: cls.kOnHeaders as number,
      kOnHeadersComplete: cls.kOnHeadersComplete as number,
      kOnBody: cls.kOnBody as number,
      kOnMessageComplete: cls.kOnMessageComplete as number,
      kOnExecute: cls.kOnExecute as number,
      kLenientNone: typeof cls.kLenientNone === 'number' ? cls.kLenientNone : 0,
      methods: methods as string[],
    }
  } catch {
    return undefined
  }
}

/** The native parser binding, or undefined when this Node has none of the expected shape. */
export const nativeParserBinding: NativeParserBinding | undefined = load()

/**
 * The binding for the upstream client: undefined as well when `PINGAP_UPSTREAM_CLIENT=undici`
 * asks for undici everywhere.
 */
export const nativeParser: NativeParserBinding | undefined =
  process.env['PINGAP_UPSTREAM_CLIENT'] === 'undici' ? undefined : nativeParserBinding

/**
 * Lets go of a parser for good. The native parser is not garbage-collected: `free()` only
 * readies it for reuse (node:http keeps a pool of them) and leaves it, and everything its
 * callbacks close over, in memory. `close()` deletes it; node:http waits for the stack to unwind
 * first, since the parser may be the caller (a callback of its own `execute`).
 */
export function releaseParser(parser: NativeParser): void {
  setImmediate(() => parser.close())
}

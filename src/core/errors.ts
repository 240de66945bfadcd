/**
 * The one table of pingap-ts error codes: each code has its HTTP status, the `X-Pingap-EType`
 * it reports and a message template. docs/errors.md repeats this table and a test keeps the two
 * in step. Statuses follow ../shared/design/decisions.md §2.
 */

interface ErrorRow {
  readonly status: number
  readonly etype: string
  readonly message: string
}

export const ERRORS = {
  PGT_ERR_CONFIG_PARSE: { status: 400, etype: 'Config', message: 'cannot parse TOML: %s' },
  PGT_ERR_CONFIG_INVALID: { status: 422, etype: 'Config', message: '%s' },
  PGT_ERR_CONFIG_UNKNOWN_KEY: { status: 422, etype: 'Config', message: 'unknown key "%s"%s' },
  PGT_ERR_CONFIG_REF: { status: 422, etype: 'Config', message: 'unknown %s "%s"' },
  PGT_ERR_CONFIG_REGEX: { status: 422, etype: 'Config', message: 'invalid regex "%s": %s' },
  PGT_ERR_CONFIG_CONFLICT: {
    status: 412,
    etype: 'Config',
    message: 'config changed since version %s',
  },
  // The admin API (docs/admin.md).
  PGT_ERR_ADMIN_UNAUTHORIZED: { status: 401, etype: 'Admin', message: 'authentication required' },
  PGT_ERR_ADMIN_FORBIDDEN: { status: 403, etype: 'Admin', message: '%s' },
  PGT_ERR_ADMIN_NOT_FOUND: { status: 404, etype: 'Admin', message: '%s not found' },
  PGT_ERR_ADMIN_MEDIA_TYPE: {
    status: 415,
    etype: 'Admin',
    message: 'unsupported content type "%s" (expected %s)',
  },
  PGT_ERR_ADMIN_PRECONDITION_REQUIRED: {
    status: 428,
    etype: 'Admin',
    message: 'a write needs If-Match with the current ETag (or baseVersion)',
  },
  PGT_ERR_PLUGIN_UNKNOWN: { status: 422, etype: 'Config', message: 'unknown plugin category "%s"' },
  PGT_ERR_PLUGIN_STEP: {
    status: 422,
    etype: 'Config',
    message: '"%s" cannot run at step "%s" (allowed: %s)',
  },
  // Pingap answers 500 here; pingap-ts answers 404, as Envoy and Traefik do (decisions.md §2).
  // The text is Pingap's (spec §4.3).
  PGT_ERR_ROUTE_NOT_FOUND: {
    status: 404,
    etype: 'NoLocation',
    message: 'No matching location, host:%s path:%s',
  },
  // The text is Pingap's (spec §14 item 22).
  PGT_ERR_UPSTREAM_UNAVAILABLE: {
    status: 503,
    etype: 'NoAvailableUpstream',
    message: 'No available upstream for %s',
  },
  // Pingap answers 502 for upstream timeouts; pingap-ts follows RFC 9110 and nginx (decisions.md §2).
  PGT_ERR_UPSTREAM_CONNECT_TIMEOUT: {
    status: 504,
    etype: 'ConnectTimedout',
    message: 'upstream connect to %s timed out',
  },
  PGT_ERR_UPSTREAM_READ_TIMEOUT: {
    status: 504,
    etype: 'ReadTimedout',
    message: 'upstream %s did not answer in time',
  },
  PGT_ERR_UPSTREAM_CONNECT: {
    status: 502,
    etype: 'ConnectRefused',
    message: 'cannot connect to %s',
  },
  PGT_ERR_UPSTREAM_RESET: {
    status: 502,
    etype: 'ConnectionClosed',
    message: 'upstream %s closed the connection',
  },
  PGT_ERR_UPSTREAM_INVALID: {
    status: 502,
    etype: 'InvalidHTTPHeader',
    message: 'invalid response from upstream %s',
  },
  PGT_ERR_BODY_TOO_LARGE: {
    status: 413,
    etype: 'HTTPStatus',
    message: 'Request Entity Too Large, max:%s',
  },
  PGT_ERR_TOO_MANY_REQUESTS: {
    status: 429,
    etype: 'HTTPStatus',
    message: 'Too Many Requests, max:%s',
  },
  PGT_ERR_URI_TOO_LONG: { status: 414, etype: 'HTTPStatus', message: 'URI Too Long, max:%s' },
  PGT_ERR_HEADERS_TOO_LARGE: {
    status: 431,
    etype: 'HTTPStatus',
    message: 'Request Header Fields Too Large, max:%s',
  },
  PGT_ERR_REQUEST_TIMEOUT: { status: 408, etype: 'ReadTimedout', message: 'Request Timeout' },
  PGT_ERR_BAD_REQUEST: { status: 400, etype: 'InvalidHTTPHeader', message: 'Bad Request: %s' },
  // A reverse proxy is not a forward proxy: CONNECT gets 405 (hostile-catalogue B6).
  PGT_ERR_METHOD_NOT_ALLOWED: {
    status: 405,
    etype: 'HTTPStatus',
    message: 'Method Not Allowed: %s',
  },
  // HTTP/0.9 and "HTTP/2.0" request lines on an HTTP/1 connection (hostile-catalogue B8).
  PGT_ERR_VERSION_NOT_SUPPORTED: {
    status: 505,
    etype: 'HTTPStatus',
    message: 'HTTP Version Not Supported: %s',
  },
  PGT_ERR_CLIENT_CLOSED: {
    status: 499,
    etype: 'ConnectionClosed',
    message: 'client closed the request',
  },
  PGT_ERR_INTERNAL: { status: 500, etype: 'InternalError', message: 'internal error: %s' },
} as const satisfies Record<string, ErrorRow>

export type ErrorCode = keyof typeof ERRORS

/** Every error code, for the docs test and the admin API. */
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[]

function format(template: string, args: readonly unknown[]): string {
  let i = 0
  return template.replace(/%s/g, () => {
    const arg = args[i++]
    return typeof arg === 'string' ? arg : arg === undefined ? '' : JSON.stringify(arg)
  })
}

/** An error pingap-ts raises on purpose: a stable code, the HTTP status and the user-facing text. */
export class PingapError extends Error {
  override name = 'PingapError'
  readonly code: ErrorCode
  readonly status: number
  readonly etype: string

  constructor(code: ErrorCode, args: readonly unknown[] = [], options?: { cause?: unknown }) {
    const row: ErrorRow = ERRORS[code]
    const message = format(row.message, args)
    // Only an internal error is a bug whose stack helps. The others are outcomes (404, 502,
    // a config mistake) raised per request on purpose; capturing a stack was 13 % of the CPU
    // of a 404 flood. Their `cause` keeps the underlying error and its stack.
    const stackLimit = Error.stackTraceLimit
    if (row.status !== 500) Error.stackTraceLimit = 0
    super(message, options)
    Error.stackTraceLimit = stackLimit
    this.code = code
    this.status = row.status
    this.etype = row.etype
  }
}

/** A config problem naming the file (when known) and the dotted TOML path of the key. */
export class ConfigError extends PingapError {
  override name = 'ConfigError'
  /** Dotted path of the offending key, e.g. `plugins.healthPing.step`. */
  readonly path: string
  /** The file that holds the key; undefined for etcd, admin or in-memory input. */
  readonly file: string | undefined
  /** The message without the file and path prefix. */
  readonly detail: string
  readonly args: readonly unknown[]

  constructor(
    code: ErrorCode,
    path: string,
    args: readonly unknown[] = [],
    options?: { cause?: unknown; file?: string | undefined },
  ) {
    super(code, args, options)
    this.args = args
    this.detail = this.message
    this.path = path
    this.file = options?.file
    this.message = `${this.file !== undefined ? `${this.file}: ` : ''}${path}: ${this.detail}`
  }

  /** The same error attributed to `file` (kept as is when it already names one). */
  withFile(file: string | undefined): ConfigError {
    if (file === undefined || this.file !== undefined) return this
    return new ConfigError(this.code, this.path, this.args, { cause: this.cause, file })
  }
}

/** Several config problems found in one pass; `-t` prints them all. */
export class ConfigErrors extends Error {
  override name = 'ConfigErrors'
  readonly errors: readonly ConfigError[]

  constructor(errors: readonly ConfigError[]) {
    super(errors.map((e) => e.message).join('\n'))
    this.errors = errors
  }
}

/** True for a PingapError from any copy of this module (matches on the code, not instanceof). */
export function isPingapError(err: unknown): err is PingapError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string' &&
    (err as { code: string }).code in ERRORS &&
    typeof (err as { status?: unknown }).status === 'number'
  )
}

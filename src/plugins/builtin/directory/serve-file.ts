/**
 * One regular file as a response: type from the MIME table, validators, 304, a single range
 * (206 / 416), the body from the facts cache, read in one call, or streamed from disk.
 */
import type { OutgoingHttpHeaders } from 'node:http'
import { createRequire } from 'node:module'
import { basename } from 'node:path'
import type * as MimeTypes from 'mime-types'
import type { RequestContext } from '../../../core/context.ts'
import { cacheControlOf, type HttpResponse } from '../../../core/http-response.ts'
import type { DirectoryConf } from '../directory.ts'
import { httpDate, notModified, rangeApplies, weakEtag } from './conditional.ts'
import { fileStream, readSlice } from './file-body.ts'
import type { FileFacts } from './file-cache.ts'
import { contentRange, evaluateRange, unsatisfiedRange } from './range.ts'

const EMPTY = Buffer.alloc(0)

// The MIME table (a 200 KB JSON) is loaded when a `directory` plugin is built, not at start-up:
// a proxy without one keeps ~3 MB less resident (issue 4). The dynamic import is also what the
// single-executable bundler can follow (a require built from import.meta.url is not).
let mimeTable: typeof MimeTypes | undefined

/** Loads the MIME table; the directory plugin calls it when an instance is built. */
export function preloadMimeTable(): Promise<void> {
  return import('mime-types').then((mod) => {
    mimeTable = mod
  })
}

function mimeLookup(name: string): string | false {
  // Only a file served before the preload finished gets here without the table.
  mimeTable ??= createRequire(import.meta.url)('mime-types') as typeof MimeTypes
  return mimeTable.lookup(name)
}

function contentType(conf: DirectoryConf, name: string): string {
  const type = mimeLookup(name) || 'application/octet-stream'
  return conf.charset !== '' && type.startsWith('text/') ? `${type}; charset=${conf.charset}` : type
}

function disposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_')
  if (ascii === name) return `attachment; filename="${name}"`
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

interface FileHead {
  readonly headers: OutgoingHttpHeaders
  readonly etag: string
  readonly caching: { maxAge?: number; private?: boolean }
  /**
   * The plain 200 of a file whose body is in memory, headers final (Content-Length and
   * Cache-Control included, as the proxy would add them): the same object answers every such
   * request, so the hot path allocates nothing and the proxy sends it without a copy.
   */
  readonly whole: HttpResponse | undefined
  /** The 304 of this file, final in the same way (browsers revalidate assets all the time). */
  readonly notModified: HttpResponse
}

/** Head parts of a file, computed once per facts entry (type, validators, fixed headers). */
const heads = new WeakMap<FileFacts, FileHead>()

function fileHead(conf: DirectoryConf, facts: FileFacts): FileHead {
  let head = heads.get(facts)
  if (head !== undefined) return head
  const name = basename(facts.path)
  const type = contentType(conf, name)
  const etag = weakEtag(facts.st.size, facts.st.mtimeMs)
  const headers: OutgoingHttpHeaders = {
    'content-type': type,
    etag,
    'last-modified': httpDate(facts.st.mtimeMs),
    'accept-ranges': 'bytes',
  }
  if (conf.download) headers['content-disposition'] = disposition(name)
  Object.assign(headers, conf.headers)
  // Pingap's intent (quirk Q2): HTML is never given a max-age, so pages stay fresh.
  const caching =
    conf.maxAge > 0 && !type.startsWith('text/html')
      ? { maxAge: conf.maxAge, private: conf.private }
      : {}
  head = {
    headers: Object.freeze(headers),
    etag,
    caching,
    whole: wholeResponse(facts, headers, caching),
    notModified: finalResponse(304, headers, EMPTY, caching),
  }
  heads.set(facts, head)
  return head
}

function wholeResponse(
  facts: FileFacts,
  headers: OutgoingHttpHeaders,
  caching: FileHead['caching'],
): HttpResponse | undefined {
  const body = facts.body
  if (body === undefined || body.length !== facts.st.size || body.length === 0) return undefined
  return finalResponse(200, headers, body, caching)
}

/** A response whose headers already are what the proxy would send for it. */
function finalResponse(
  status: number,
  headers: OutgoingHttpHeaders,
  body: Buffer,
  caching: FileHead['caching'],
): HttpResponse {
  // The same merge as the proxy's for plugin responses: the file's own headers win.
  const final: OutgoingHttpHeaders = Object.freeze({
    'content-length': body.length,
    'cache-control': cacheControlOf(caching),
    ...headers,
  })
  return Object.freeze({ status, headers: final, body, ...caching })
}

/** True when a request may get the whole file as it is: no validators, no range to look at. */
function plainGet(ctx: RequestContext): boolean {
  const h = ctx.headers
  return (
    h['if-none-match'] === undefined &&
    h['if-modified-since'] === undefined &&
    h.range === undefined
  )
}

/**
 * Answers one regular file: 200, 206, 304 or 416. Synchronous unless a slice of a file must be
 * read from disk.
 */
export function serveFile(
  conf: DirectoryConf,
  ctx: RequestContext,
  facts: FileFacts,
): HttpResponse | Promise<HttpResponse> {
  const { path, st } = facts
  const base = fileHead(conf, facts)
  if (base.whole !== undefined && plainGet(ctx)) return base.whole
  const { etag, caching } = base
  if (notModified(ctx.headers, etag, st.mtimeMs)) return base.notModified
  const headers: OutgoingHttpHeaders = { ...base.headers }
  const size = st.size
  const range =
    ctx.headers.range !== undefined && rangeApplies(ctx.headers, etag, st.mtimeMs)
      ? evaluateRange(ctx.headers.range, size)
      : ({ kind: 'none' } as const)
  if (range.kind === 'unsatisfiable') {
    headers['content-range'] = unsatisfiedRange(size)
    return { status: 416, headers, body: EMPTY }
  }
  const partial = range.kind === 'partial'
  const start = partial ? range.start : 0
  const end = partial ? range.end : size - 1
  if (partial) headers['content-range'] = contentRange(start, end, size)
  const status = partial ? 206 : 200
  const length = size === 0 ? 0 : end - start + 1
  if (length === 0) return { status, headers, body: EMPTY, ...caching }
  if (facts.body !== undefined) {
    const body = partial ? facts.body.subarray(start, end + 1) : facts.body
    return { status, headers, body, ...caching }
  }
  if (length <= conf.chunkSize && ctx.method !== 'HEAD') {
    return readSlice(path, start, length).then((body) => ({ status, headers, body, ...caching }))
  }
  const stream = fileStream(path, start, end, conf.readSize)
  return { status, headers, body: EMPTY, stream, length, ...caching }
}

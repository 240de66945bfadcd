/**
 * The `directory` plugin (spec §5.3): static files from a root directory, with a maintained MIME
 * table, weak ETags and Last-Modified, conditional GETs (304), single byte ranges (206, 416,
 * also for streamed files, unlike Pingap's quirk Q2), HEAD, `autoindex`, and bodies streamed
 * with back-pressure. No request path can read outside the root (hostile-catalogue G).
 */
import type { OutgoingHttpHeaders } from 'node:http'
import { realpathSync, type Stats } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, join, resolve, sep } from 'node:path'
import { lookup as mimeLookup } from 'mime-types'
import type { RequestContext } from '../../core/context.ts'
import { textResponse, type HttpResponse } from '../../core/http-response.ts'
import { logger } from '../../core/logger.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { renderListing } from './directory/autoindex.ts'
import { byteSize } from './directory/byte-size.ts'
import { httpDate, notModified, rangeApplies, weakEtag } from './directory/conditional.ts'
import { fileStream, readSlice } from './directory/file-body.ts'
import { contentRange, evaluateRange, unsatisfiedRange } from './directory/range.ts'
import {
  climbsAboveRoot,
  decodeRequestPath,
  redirectPath,
  type DecodedPath,
} from './directory/request-path.ts'
import { headerMap, readHeaderEntries } from './headers.ts'
import { REQUEST_OR_PROXY } from './shared.ts'

const log = logger.child({ module: 'plugin', category: 'directory' })

export interface DirectoryConf {
  /** Absolute root, symlinks resolved when it exists. */
  readonly root: string
  readonly index: string
  readonly autoindex: boolean
  /** Files (or ranges) up to this size are read in one go; larger ones stream. */
  readonly chunkSize: number
  /** Read size of streamed files. */
  readonly readSize: number
  /** Seconds; 0 = no `max-age`. */
  readonly maxAge: number
  readonly private: boolean
  readonly charset: string
  readonly download: boolean
  readonly followSymlinks: boolean
  readonly headers: OutgoingHttpHeaders
}

/** Reads below this size cost more in round trips than they save in memory. */
const MIN_READ_SIZE = 64 * 1024
const EMPTY = Buffer.alloc(0)

const notFound = (): HttpResponse => textResponse(404, 'Not Found')
const forbidden = (path: string): HttpResponse =>
  textResponse(403, `You do not have permission to access this resource, file: ${path}`)

function expandRoot(path: string): string {
  const expanded = path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path
  const absolute = resolve(expanded)
  try {
    return realpathSync(absolute)
  } catch {
    log.warn('directory root does not exist (yet); requests answer 404', { root: absolute })
    return absolute
  }
}

function parseIndex(options: PluginOptions): string {
  const index = options.string('index', 'index.html').replace(/^\/+/, '')
  const bad = index === '' || index.split('/').some((s) => s === '..' || s === '.' || s === '')
  if (bad) throw options.error('index', `must be a file name, not "${index}"`)
  return index
}

function ioFailure(err: unknown, path: string): HttpResponse {
  const code = (err as { code?: string }).code
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'ENAMETOOLONG') {
    return notFound()
  }
  if (code === 'EACCES' || code === 'EPERM') return forbidden(path)
  log.warn('file access failed', { path, err })
  return textResponse(500, 'File access error')
}

function inside(root: string, real: string): boolean {
  return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep)
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

/** Answers one regular file: 200, 206, 304 or 416. */
async function serveFile(
  conf: DirectoryConf,
  ctx: RequestContext,
  path: string,
  st: Stats,
): Promise<HttpResponse> {
  const name = basename(path)
  const type = contentType(conf, name)
  const etag = weakEtag(st.size, st.mtimeMs)
  const headers: OutgoingHttpHeaders = {
    'content-type': type,
    etag,
    'last-modified': httpDate(st.mtimeMs),
    'accept-ranges': 'bytes',
  }
  if (conf.download) headers['content-disposition'] = disposition(name)
  Object.assign(headers, conf.headers)
  // Pingap's intent (quirk Q2): HTML is never given a max-age, so pages stay fresh.
  const caching =
    conf.maxAge > 0 && !type.startsWith('text/html')
      ? { maxAge: conf.maxAge, private: conf.private }
      : {}
  if (notModified(ctx.headers, etag, st.mtimeMs)) {
    return { status: 304, headers, body: EMPTY, ...caching }
  }
  const size = st.size
  const range = rangeApplies(ctx.headers, etag, st.mtimeMs)
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
  if (length <= conf.chunkSize && ctx.method !== 'HEAD') {
    const body = await readSlice(path, start, length)
    return { status, headers, body, ...caching }
  }
  const stream = fileStream(path, start, end, conf.readSize)
  return { status, headers, body: EMPTY, stream, length, ...caching }
}

async function serveDirectory(
  conf: DirectoryConf,
  ctx: RequestContext,
  dir: string,
  decoded: DecodedPath & { ok: true },
): Promise<HttpResponse> {
  if (!decoded.trailingSlash && decoded.segments.length > 0) {
    // As nginx: `/docs` → `/docs/`, so relative links in the page resolve under it.
    const target = redirectPath(ctx.req.url ?? ctx.path, ctx.path)
    const query = ctx.query === '' ? '' : `?${ctx.query}`
    return textResponse(301, '', { location: `${target}/${query}` })
  }
  if (conf.autoindex) {
    const title = `/${decoded.segments.join('/')}${decoded.segments.length > 0 ? '/' : ''}`
    const html = await renderListing(dir, title)
    return textResponse(200, html, { 'content-type': 'text/html; charset=utf-8' })
  }
  const index = await resolveTarget(conf, join(dir, conf.index))
  if (index === undefined || !index.st.isFile()) return notFound()
  return serveFile(conf, ctx, index.path, index.st)
}

/** Stats `path`, resolving symlinks first when they must stay under the root. */
async function resolveTarget(
  conf: DirectoryConf,
  path: string,
): Promise<{ path: string; st: Stats } | undefined> {
  try {
    const real = conf.followSymlinks ? path : await realpath(path)
    if (!inside(conf.root, real)) return undefined
    return { path: real, st: await stat(real) }
  } catch {
    return undefined
  }
}

async function serve(
  conf: DirectoryConf,
  ctx: RequestContext,
  decoded: DecodedPath & { ok: true },
): Promise<HttpResponse> {
  let path = join(conf.root, ...decoded.segments)
  let st: Stats
  try {
    if (!conf.followSymlinks) {
      path = await realpath(path)
      if (!inside(conf.root, path)) return forbidden(ctx.path)
    }
    st = await stat(path)
  } catch (err) {
    return ioFailure(err, ctx.path)
  }
  if (st.isDirectory()) return serveDirectory(conf, ctx, path, decoded)
  // FIFOs, sockets and devices are never opened: reading a FIFO would hang the request.
  if (!st.isFile()) return notFound()
  return serveFile(conf, ctx, path, st)
}

/** Static files from `path`; see docs/plugins/directory.md. */
export const directory: PluginFactory<DirectoryConf> = {
  category: 'directory',
  steps: REQUEST_OR_PROXY,
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, [
      'path',
      'index',
      'autoindex',
      'chunk_size',
      'max_age',
      'private',
      'charset',
      'download',
      'follow_symlinks',
      'headers',
    ])
    const chunkSize = Math.max(4096, byteSize(options, raw, 'chunk_size', 4096))
    return {
      root: expandRoot(options.required('path')),
      index: parseIndex(options),
      autoindex: options.bool('autoindex'),
      chunkSize,
      readSize: Math.max(chunkSize, MIN_READ_SIZE),
      maxAge: Math.floor(options.duration('max_age', 0) / 1000),
      private: options.bool('private'),
      charset: options.string('charset').trim(),
      download: options.bool('download'),
      followSymlinks: options.bool('follow_symlinks', true),
      headers: Object.freeze(headerMap(readHeaderEntries(options, 'headers'))),
    }
  },

  create({ name, hash, step, conf }) {
    return {
      category: 'directory',
      name,
      hash,
      step,
      onRequest(ctx) {
        if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
          return textResponse(405, 'Method Not Allowed', { allow: 'GET, HEAD' })
        }
        if (climbsAboveRoot(ctx.req.url ?? '')) return forbidden(ctx.path)
        const decoded = decodeRequestPath(ctx.path)
        if (!decoded.ok) return notFound()
        return serve(conf, ctx, decoded)
      },
    }
  },
}

/**
 * The `directory` plugin (spec §5.3): static files from a root directory, with a maintained MIME
 * table, weak ETags and Last-Modified, conditional GETs (304), single byte ranges (206, 416,
 * also for streamed files, unlike Pingap's quirk Q2), HEAD, `autoindex`, and bodies streamed
 * with back-pressure. No request path can read outside the root (hostile-catalogue G).
 */
import type { OutgoingHttpHeaders } from 'node:http'
import { realpathSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import type { RequestContext } from '../../core/context.ts'
import { textResponse, type HttpResponse } from '../../core/http-response.ts'
import { logger } from '../../core/logger.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { renderListing } from './directory/autoindex.ts'
import { byteSize } from './directory/byte-size.ts'
import { FileFactsCache, lookupFacts, type FileFacts } from './directory/file-cache.ts'
import { PathMemo } from './directory/path-memo.ts'
import { climbsAboveRoot, redirectPath, type DecodedPath } from './directory/request-path.ts'
import { preloadMimeTable, serveFile } from './directory/serve-file.ts'
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

async function serveDirectory(
  conf: DirectoryConf,
  cache: FileFactsCache,
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
  const index = await cachedFacts(conf, cache, join(dir, conf.index)).catch(() => undefined)
  if (index === undefined || index === 'forbidden' || !index.st.isFile()) return notFound()
  return serveFile(conf, ctx, index)
}

/** Facts of `path` from the cache, or from the disk (then cached). */
async function cachedFacts(
  conf: DirectoryConf,
  cache: FileFactsCache,
  path: string,
): Promise<FileFacts | 'forbidden'> {
  const now = Date.now()
  const cached = cache.get(path, now)
  if (cached !== undefined) return cached
  const facts = await lookupFacts(conf, path, cache.previous(path)).catch((err: unknown) => {
    cache.forget(path)
    throw err
  })
  if (facts !== 'forbidden') cache.set(path, facts, now)
  else cache.forget(path)
  return facts
}

/** Dispatches on what the path is; synchronous when its facts are cached. */
function answer(
  conf: DirectoryConf,
  cache: FileFactsCache,
  ctx: RequestContext,
  decoded: DecodedPath & { ok: true },
  facts: FileFacts | 'forbidden',
): HttpResponse | Promise<HttpResponse> {
  if (facts === 'forbidden') return forbidden(ctx.path)
  if (facts.st.isDirectory()) return serveDirectory(conf, cache, ctx, facts.path, decoded)
  // FIFOs, sockets and devices are never opened: reading a FIFO would hang the request.
  if (!facts.st.isFile()) return notFound()
  return serveFile(conf, ctx, facts)
}

function serve(
  conf: DirectoryConf,
  cache: FileFactsCache,
  ctx: RequestContext,
  decoded: DecodedPath & { ok: true },
  path: string,
): HttpResponse | Promise<HttpResponse> {
  const cached = cache.get(path, Date.now())
  if (cached !== undefined) return answer(conf, cache, ctx, decoded, cached)
  return cachedFacts(conf, cache, path).then(
    (facts) => answer(conf, cache, ctx, decoded, facts),
    (err: unknown) => ioFailure(err, ctx.path),
  )
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
    void preloadMimeTable().catch(() => undefined)
    const cache = new FileFactsCache()
    const paths = new PathMemo(conf.root)
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
        const { decoded, file } = paths.resolve(ctx.path)
        if (!decoded.ok || file === undefined) return notFound()
        return serve(conf, cache, ctx, decoded, file)
      },
    }
  },
}

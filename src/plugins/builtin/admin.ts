/**
 * The `admin` plugin (spec §5.4, §7.1): the admin API and web UI mounted on a proxy location.
 * Plugins may not import the admin code, so the category only parses its options and asks a
 * factory injected by the composition root (`createBuiltinRegistry({ adminMounts })`) for the
 * handler; where no factory is given (`-t`, cluster workers) the plugin answers 503.
 */
import type { RequestContext } from '../../core/context.ts'
import { textResponse, type HttpResponse } from '../../core/http-response.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { REQUEST_STEPS } from './shared.ts'

/** One mount as configured: prefix, users and lock-out. */
export interface AdminMountOptions {
  /** Mount prefix without a trailing slash; `''` for the whole location. */
  readonly path: string
  /** The `authorizations` entries decoded; none = only `basic.admin_users` may log in. */
  readonly users: ReadonlyArray<{ readonly user: string; readonly password: string }>
  readonly maxAgeMs: number
  readonly ipFailLimit: number
}

/** Answers one request below the mount (reading the body itself for writes). */
export type AdminMount = (ctx: RequestContext) => Promise<HttpResponse>

/** Builds the handler of one mount; provided by the composition root. */
export type AdminMountFactory = (options: AdminMountOptions) => AdminMount

const UNAVAILABLE = Object.freeze(
  textResponse(503, 'The admin plugin is not available in this process', {
    'content-type': 'text/plain; charset=utf-8',
  }),
)

function decodeUser(entry: string, options: PluginOptions): { user: string; password: string } {
  const plain = entry.includes(':') ? entry : Buffer.from(entry, 'base64').toString('utf8')
  const colon = plain.indexOf(':')
  if (colon <= 0 || colon === plain.length - 1) {
    throw options.error('authorizations', 'each entry must be base64("user:password")')
  }
  return { user: plain.slice(0, colon), password: plain.slice(colon + 1) }
}

/** The `admin` category; `mounts` returns the factory once the process can serve the admin. */
export function adminPlugin(
  mounts: () => AdminMountFactory | undefined,
): PluginFactory<AdminMountOptions> {
  return {
    category: 'admin',
    steps: REQUEST_STEPS,
    defaultStep: 'request',

    parse(raw, path) {
      const options = new PluginOptions(raw, path, [
        'path',
        'authorizations',
        'max_age',
        'ip_fail_limit',
      ])
      const prefix = options.string('path').trim().replace(/\/+$/, '')
      if (prefix !== '' && !prefix.startsWith('/')) {
        throw options.error('path', `must start with "/", not "${prefix}"`)
      }
      const maxAgeMs = options.duration('max_age', 2 * 86_400_000)
      if (maxAgeMs <= 0) throw options.error('max_age', 'must be more than 0')
      return {
        path: prefix,
        users: options.stringList('authorizations').map((e) => decodeUser(e.trim(), options)),
        maxAgeMs,
        ipFailLimit: options.int('ip_fail_limit', 10),
      }
    },

    create({ name, hash, step, conf }) {
      let mount: AdminMount | undefined
      const prefix = conf.path
      return {
        category: 'admin',
        name,
        hash,
        step,
        onRequest(ctx) {
          // As Pingap: the plugin acts only below its mount; other paths go on to the upstream.
          if (prefix !== '' && ctx.path !== prefix && !ctx.path.startsWith(`${prefix}/`)) {
            return undefined
          }
          mount ??= mounts()?.(conf)
          return mount === undefined ? UNAVAILABLE : mount(ctx)
        },
      }
    },
  }
}

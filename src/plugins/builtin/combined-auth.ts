/** The `combined_auth` plugin: `app_id` + timestamp + sha256 digest, with optional IP lists. */
import { createHash, timingSafeEqual } from 'node:crypto'
import { queryValue } from '../../core/context.ts'
import { textResponse, type HttpResponse } from '../../core/http-response.ts'
import { ConfigError } from '../../core/errors.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { compileIpList, type IpList } from './ip-list.ts'
import { REQUEST_STEPS } from './shared.ts'

interface App {
  readonly secret: string
  /** Allowed clock difference in seconds. */
  readonly deviation: number
  readonly ips: IpList | undefined
}

interface CombinedAuthConf {
  readonly apps: ReadonlyMap<string, App>
}

function fail(reason: string): HttpResponse {
  return textResponse(401, `Plugin combined_auth invalid, message: ${reason}`, {
    'cache-control': 'private, no-store',
  })
}

function parseApp(
  entry: Readonly<Record<string, unknown>>,
  path: string,
): [string, App] | undefined {
  const options = new PluginOptions(entry, path, ['app_id', 'secret', 'deviation', 'ip_list'])
  const appId = options.string('app_id').trim()
  // Pingap skips entries without an app_id.
  if (appId === '') return undefined
  const secret = options.string('secret')
  const deviation = options.int('deviation', 0)
  if (secret !== '*' && deviation <= 0)
    throw options.error('deviation', 'must be more than 0 seconds')
  const ipList = options.stringList('ip_list')
  const ips = ipList.length > 0 ? compileIpList(ipList, options.keyPath('ip_list')) : undefined
  return [appId, { secret, deviation, ips }]
}

/** The reason a request fails, or undefined when it passes (Pingap's order of checks). */
function check(app: App | undefined, query: string, clientIp: string): string | undefined {
  if (app === undefined) return 'app id is invalid'
  if (app.secret === '*') return undefined
  if (app.ips !== undefined && app.ips.has(clientIp) !== true) return 'ip is invalid'
  const ts = queryValue(query, 'ts')
  if (ts === undefined || ts === '') return 'timestamp is empty'
  const seconds = Number(ts)
  const now = Math.floor(Date.now() / 1000)
  if (!/^\d+$/.test(ts) || Math.abs(now - seconds) > app.deviation)
    return 'timestamp deviation is invalid'
  const given = queryValue(query, 'digest')
  if (given === undefined || given === '') return 'digest is empty'
  const expected = Buffer.from(createHash('sha256').update(`${app.secret}:${ts}`).digest('hex'))
  const actual = Buffer.from(given.toLowerCase())
  return actual.length === expected.length && timingSafeEqual(actual, expected)
    ? undefined
    : 'digest is invalid'
}

/** Authenticates `?app_id=&ts=&digest=` where digest = hex(sha256("<secret>:<ts>")). */
export const combinedAuth: PluginFactory<CombinedAuthConf> = {
  category: 'combined_auth',
  steps: REQUEST_STEPS,
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, ['authorizations'])
    const apps = new Map<string, App>()
    options.tableList('authorizations').forEach((entry, i) => {
      const app = parseApp(entry, `${options.keyPath('authorizations')}[${i}]`)
      if (app !== undefined) apps.set(...app)
    })
    if (apps.size === 0) {
      throw new ConfigError('PGT_ERR_CONFIG_INVALID', options.keyPath('authorizations'), [
        'needs at least one entry with an app_id',
      ])
    }
    return { apps }
  },

  create({ name, hash, step, conf }) {
    return {
      category: 'combined_auth',
      name,
      hash,
      step,
      onRequest(ctx) {
        const appId = queryValue(ctx.query, 'app_id')
        if (appId === undefined || appId === '') return fail('app id is empty')
        const reason = check(conf.apps.get(appId), ctx.query, ctx.clientIp)
        return reason === undefined ? undefined : fail(reason)
      },
    }
  },
}

/** The `ip_restriction` plugin: allow or deny clients by IP address and CIDR. */
import { textResponse, type HttpResponse } from '../../core/http-response.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { compileIpList, type IpList } from './ip-list.ts'
import { REQUEST_STEPS } from './shared.ts'

interface IpRestrictionConf {
  readonly list: IpList
  readonly allow: boolean
  readonly forbidden: HttpResponse
}

// Rust's `AddrParseError` text, which Pingap sends for a client IP it cannot parse.
const BAD_IP = Object.freeze(textResponse(400, 'invalid IP address syntax'))

/** Allows or denies by the client IP (after `basic.trusted_proxies`). */
export const ipRestriction: PluginFactory<IpRestrictionConf> = {
  category: 'ip_restriction',
  steps: REQUEST_STEPS,
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, ['ip_list', 'type', 'message'])
    const message = options.string('message') || 'Request is forbidden'
    return {
      list: compileIpList(options.stringList('ip_list'), options.keyPath('ip_list')),
      allow: options.oneOf('type', ['allow', 'deny'], 'allow') === 'allow',
      forbidden: Object.freeze(textResponse(403, message)),
    }
  },

  create({ name, hash, step, conf }) {
    const { list, allow, forbidden } = conf
    return {
      category: 'ip_restriction',
      name,
      hash,
      step,
      onRequest(ctx) {
        const found = list.has(ctx.clientIp)
        if (found === undefined) return BAD_IP
        return found === allow ? undefined : forbidden
      },
    }
  },
}

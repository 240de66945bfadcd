/** The `geo_restriction` plugin: allow, deny or only log clients by the country of their IP. */
import { isIP } from 'node:net'
import { textResponse } from '../../core/http-response.ts'
import { logger } from '../../core/logger.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { openCountryDatabase, type CountryLookup } from './geo-database.ts'
import { REQUEST_STEPS } from './shared.ts'

const log = logger.child({ module: 'geo_restriction' })

interface GeoConf {
  readonly mode: 'allow' | 'deny' | 'reporting'
  readonly countries: ReadonlySet<string>
  readonly message: string
  readonly lookup: CountryLookup
}

/** `country_codes` entries may hold several codes separated by spaces or commas (as Pingap). */
function parseCountries(options: PluginOptions): Set<string> {
  const codes = new Set<string>()
  for (const entry of options.stringList('country_codes')) {
    for (const part of entry.split(/[\s,]+/)) {
      if (part === '') continue
      if (!/^[A-Za-z]{2}$/.test(part)) {
        throw options.error('country_codes', `"${part}" is not a two-letter country code`)
      }
      codes.add(part.toUpperCase())
    }
  }
  return codes
}

/** Decides by the country of the client IP (after `basic.trusted_proxies`). */
export const geoRestriction: PluginFactory<GeoConf> = {
  category: 'geo_restriction',
  steps: REQUEST_STEPS,
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, ['type', 'country_codes', 'message', 'database'])
    if (!options.has('type')) throw options.error('type', 'is required (allow, deny or reporting)')
    const mode = options.oneOf('type', ['allow', 'deny', 'reporting'], 'allow')
    const countries = parseCountries(options)
    const database = options.string('database').trim()
    return {
      mode,
      countries,
      message: options.string('message') || 'Access from your country is not allowed',
      lookup: openCountryDatabase(
        database === '' ? undefined : database,
        options.keyPath('database'),
      ),
    }
  },

  create({ name, hash, step, conf }) {
    const { mode, countries, lookup } = conf
    const forbidden = Object.freeze(textResponse(403, conf.message))
    return {
      category: 'geo_restriction',
      name,
      hash,
      step,
      onRequest(ctx) {
        // As Pingap: a client IP that does not parse is let through.
        if (isIP(ctx.clientIp) === 0) return undefined
        const country = lookup.country(ctx.clientIp)
        if (mode === 'reporting') {
          log.info('client country', { plugin: name, ip: ctx.clientIp, country: country ?? '' })
          return undefined
        }
        // An address the database cannot place is "not in the list": allow rejects it.
        const listed = country !== undefined && countries.has(country)
        return listed === (mode === 'allow') ? undefined : forbidden
      },
    }
  },
}

/**
 * The country database of `geo_restriction`: any MaxMind-format (.mmdb) file, read with
 * mmdb-lib. Without a `database` option the bundled CC0 database of the npm package
 * `@ip-location-db/geo-whois-asn-country-mmdb` is used, so the plugin works offline.
 */
import { readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { isIP } from 'node:net'
import { Reader, type Response } from 'mmdb-lib'
import { ConfigError } from '../../core/errors.ts'

/** The file inside the bundled package (IPv4 and IPv6 in one tree). */
export const BUNDLED_DATABASE =
  '@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb'

/** Looks up the ISO 3166 country code of an IP address. */
export interface CountryLookup {
  /** The upper-case two-letter code; undefined when the address is unknown or unparseable. */
  country(ip: string): string | undefined
}

type CountryRecord = {
  readonly country?: { readonly iso_code?: unknown }
  readonly registered_country?: { readonly iso_code?: unknown }
  readonly country_code?: unknown
}

// Readers by file identity: several plugins (and reloads) share one copy of a large file.
const readers = new Map<string, Reader<Response>>()

function codeOf(record: CountryRecord | null): string | undefined {
  // GeoLite2/DB-IP files keep it under country.iso_code; the ip-location-db files as country_code.
  const code =
    record?.country?.iso_code ?? record?.country_code ?? record?.registered_country?.iso_code
  return typeof code === 'string' ? code.toUpperCase() : undefined
}

function resolveBundled(keyPath: string): string {
  try {
    // Inside the single executable there is no node_modules (and no import.meta.url): this throws.
    return createRequire(import.meta.url).resolve(BUNDLED_DATABASE)
  } catch {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', keyPath, [
      `no country database: set database = "<file.mmdb>" (the bundled ${BUNDLED_DATABASE.split('/geo-whois')[0]} package is not installed)`,
    ])
  }
}

function openReader(file: string, keyPath: string): Reader<Response> {
  let key: string
  try {
    const stat = statSync(file)
    key = `${file}:${stat.size}:${stat.mtimeMs}`
  } catch (err) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', keyPath, [
      `cannot read ${file}: ${message(err)}`,
    ])
  }
  const cached = readers.get(key)
  if (cached !== undefined) return cached
  try {
    const reader = new Reader<Response>(readFileSync(file))
    readers.set(key, reader)
    return reader
  } catch (err) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', keyPath, [
      `${file} is not a MaxMind DB file: ${message(err)}`,
    ])
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Opens `file` (or the bundled database when undefined); errors name `keyPath`. */
export function openCountryDatabase(file: string | undefined, keyPath: string): CountryLookup {
  const reader = openReader(file ?? resolveBundled(keyPath), keyPath)
  const ipv4Only = reader.metadata.ipVersion === 4
  return {
    country(ip) {
      const family = isIP(ip)
      if (family === 0 || (family === 6 && ipv4Only)) return undefined
      try {
        return codeOf(reader.get(ip) as CountryRecord | null)
      } catch {
        return undefined
      }
    },
  }
}

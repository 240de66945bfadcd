/** Reading `Name: value` lists from plugin tables and editing header maps case-insensitively. */
import type { OutgoingHttpHeader, OutgoingHttpHeaders } from 'node:http'
import { parseHeaderEntry } from '../../core/header-value.ts'
import { ConfigError } from '../../core/errors.ts'
import type { PluginOptions } from '../conf.ts'

/** Parses a `["Name: value", …]` option; a malformed entry is a ConfigError at its index. */
export function readHeaderEntries(options: PluginOptions, key: string): Array<[string, string]> {
  return options.stringList(key).map((entry, i) => {
    const parsed = parseHeaderEntry(entry)
    if (parsed === undefined) {
      throw new ConfigError('PGT_ERR_CONFIG_INVALID', `${options.keyPath(key)}[${i}]`, [
        `"${entry}" is not a "Name: value" header`,
      ])
    }
    return parsed
  })
}

/** The key under which `headers` holds `lowerName`, whatever its case; undefined when absent. */
export function findHeader(headers: OutgoingHttpHeaders, lowerName: string): string | undefined {
  if (headers[lowerName] !== undefined) return lowerName
  for (const key of Object.keys(headers)) {
    if (
      key.length === lowerName.length &&
      key.toLowerCase() === lowerName &&
      headers[key] !== undefined
    ) {
      return key
    }
  }
  return undefined
}

/** The values of a header as a list of strings. */
export function headerValues(value: OutgoingHttpHeader | undefined): string[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value.map(String) : [String(value)]
}

/** Adds a value after any existing ones. */
export function appendHeader(headers: OutgoingHttpHeaders, lowerName: string, value: string): void {
  const key = findHeader(headers, lowerName)
  if (key === undefined) {
    headers[lowerName] = value
    return
  }
  headers[key] = [...headerValues(headers[key]), value]
}

/** Replaces every value of a header. */
export function setHeader(
  headers: OutgoingHttpHeaders,
  lowerName: string,
  value: OutgoingHttpHeader,
): void {
  removeHeader(headers, lowerName)
  headers[lowerName] = value
}

/** Removes a header in any case; returns what it held. */
export function removeHeader(headers: OutgoingHttpHeaders, lowerName: string): string[] {
  const removed: string[] = []
  let key = findHeader(headers, lowerName)
  while (key !== undefined) {
    removed.push(...headerValues(headers[key]))
    delete headers[key]
    key = findHeader(headers, lowerName)
  }
  return removed
}

/** Builds a header map from entries, repeated names becoming lists. */
export function headerMap(entries: ReadonlyArray<readonly [string, string]>): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {}
  for (const [name, value] of entries) appendHeader(headers, name, value)
  return headers
}

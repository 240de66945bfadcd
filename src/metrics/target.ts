/**
 * Parses a server's `prometheus_metrics` value (spec §10.1): a path (`/metrics`) is a pull
 * endpoint on that server; a URL (`http://user:pass@gateway:9091/metrics/job/pingap?interval=30s`)
 * is a Pushgateway target, `$hostname` replaced by this host's name.
 */
import { hostname } from 'node:os'
import { parseDuration } from '../core/duration.ts'
import { ConfigError } from '../core/errors.ts'

/** Default push interval (Pingap's). */
export const DEFAULT_PUSH_INTERVAL_MS = 60_000
/** Shortest push interval accepted. */
export const MIN_PUSH_INTERVAL_MS = 1_000

export type PrometheusTarget =
  | { readonly kind: 'pull'; readonly path: string }
  | {
      readonly kind: 'push'
      /** The URL without credentials and without the `interval` parameter. */
      readonly url: string
      readonly intervalMs: number
      /** `Basic …` when the URL carried credentials. */
      readonly authorization: string | undefined
    }

function invalid(path: string, message: string): ConfigError {
  return new ConfigError('PGT_ERR_CONFIG_INVALID', path, [message])
}

/**
 * Parses `value`; undefined when unset or empty. Throws ConfigError naming `path` (for
 * example `servers.web.prometheus_metrics`) for anything else.
 */
export function parsePrometheusTarget(
  value: string | undefined,
  path: string,
): PrometheusTarget | undefined {
  const text = value?.trim() ?? ''
  if (text === '') return undefined
  if (!text.includes('://')) {
    if (!text.startsWith('/')) throw invalid(path, 'must be a path ("/metrics") or a push URL')
    return { kind: 'pull', path: text }
  }
  let url: URL
  try {
    url = new URL(text.replaceAll('$hostname', hostname()))
  } catch {
    throw invalid(path, `invalid push URL "${text}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(path, 'the push URL must be http:// or https://')
  }
  let intervalMs = DEFAULT_PUSH_INTERVAL_MS
  const interval = url.searchParams.get('interval')
  if (interval !== null) {
    const ms = parseDuration(interval)
    if (ms === undefined || ms < MIN_PUSH_INTERVAL_MS) {
      throw invalid(path, `interval must be a duration of at least 1s, got "${interval}"`)
    }
    intervalMs = ms
    url.searchParams.delete('interval')
  }
  let authorization: string | undefined
  if (url.username !== '' || url.password !== '') {
    const user = decodeURIComponent(url.username)
    const pass = decodeURIComponent(url.password)
    authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`
    url.username = ''
    url.password = ''
  }
  return { kind: 'push', url: url.toString(), intervalMs, authorization }
}

/** The pull path of `value`, or undefined when it is unset or a push URL (never throws). */
export function pullPath(value: string | undefined): string | undefined {
  const text = value?.trim()
  return text !== undefined && text.startsWith('/') ? text : undefined
}

/**
 * Pingap's always-present plugin instances (spec §5.1) as raw tables keyed by name; the snapshot
 * builder merges them under the config's `[plugins.*]`, so they are ordinary plugins.
 */
import { zstdAvailable } from './compression/encoders.ts'

/**
 * Levels of the `pingap:compression*` instances. Brotli runs at 5, not Pingap's 6: on the
 * reference machine quality 5 compressed 1 MB of text in 38 ms against 55 ms at 6 for 0.2 points
 * of ratio (docs/plugins/compression.md). zstd is left out where Node has none, so `-t` stays
 * quiet about an instance the user did not write.
 */
const LEVELS = Object.freeze({
  gzip_level: 6,
  br_level: 5,
  ...(zstdAvailable ? { zstd_level: 6 } : {}),
})

/** Raw tables of the always-present instances, keyed by plugin name. */
export const BUILTIN_PLUGIN_TABLES: Readonly<Record<string, Readonly<Record<string, unknown>>>> =
  Object.freeze({
    'pingap:ping': Object.freeze({ category: 'ping', path: '/ping' }),
    'pingap:stats': Object.freeze({ category: 'stats', path: '/stats' }),
    'pingap:requestId': Object.freeze({ category: 'request_id' }),
    'pingap:compression': Object.freeze({ category: 'compression', ...LEVELS }),
    'pingap:compressionUpstream': Object.freeze({
      category: 'compression',
      ...LEVELS,
      mode: 'upstream',
    }),
    'pingap:acceptEncodingAdjustment': Object.freeze({
      category: 'accept_encoding',
      encodings: 'zstd, br, gzip',
      only_one_encoding: true,
    }),
  })

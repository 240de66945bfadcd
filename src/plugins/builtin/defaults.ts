/**
 * Pingap's always-present plugin instances (spec §5.1) as raw tables keyed by name; the snapshot
 * builder merges them under the config's `[plugins.*]`, so they are ordinary plugins. The
 * `pingap:compression*` instances are absent: pingap-ts has no compression plugin yet.
 */

/** Raw tables of the always-present instances, keyed by plugin name. */
export const BUILTIN_PLUGIN_TABLES: Readonly<Record<string, Readonly<Record<string, unknown>>>> =
  Object.freeze({
    'pingap:ping': Object.freeze({ category: 'ping', path: '/ping' }),
    'pingap:stats': Object.freeze({ category: 'stats', path: '/stats' }),
    'pingap:requestId': Object.freeze({ category: 'request_id' }),
    'pingap:acceptEncodingAdjustment': Object.freeze({
      category: 'accept_encoding',
      encodings: 'zstd, br, gzip',
      only_one_encoding: true,
    }),
  })

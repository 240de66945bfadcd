/**
 * Every user regex (host `~`, path `~`, rewrite, plugin patterns) is compiled here, once, at
 * load and in `-t`, so that no pattern can stall the event loop (decisions §4; V8 spent 5.3 s on
 * `^(a+)+$`, reliability/hostile-catalogue.md §0.10).
 *
 * How: the pattern is translated from Rust syntax (regex-translate.ts) and must compile for
 * V8's linear-time engine (flag `l`); a pattern it refuses is a ConfigError. The RegExp handed
 * back is the same pattern *without* `l`: measured on Node 20, the backtracking engine runs
 * ordinary route patterns about 7x faster (0.15 µs vs 1.1 µs per exec), and with
 * `--enable-experimental-regexp-engine-on-excessive-backtracks` V8 moves any execution that
 * exceeds 1,000 backtracks to the linear engine, which it can do precisely because the pattern
 * passed the `l` check. `^(a+)+$` against 'a'.repeat(30)+'b' then takes ~0.1 ms instead of
 * seconds. The flags are per process, so every process that matches (primary and workers)
 * loads this module.
 */
import { setFlagsFromString } from 'node:v8'
import { ConfigError } from '../core/errors.ts'
import { RegexTranslateError, translateRustRegex } from './regex-translate.ts'

setFlagsFromString('--enable-experimental-regexp-engine')
setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks')
setFlagsFromString('--regexp-backtracks-before-fallback=1000')

const LINEAR_REFUSAL = 'Cannot be executed in linear time'
const ALLOWED_FLAGS = /^[gimsy]*$/

/**
 * Compiles a user pattern written in Rust `regex` syntax; throws ConfigError
 * PGT_ERR_CONFIG_REGEX naming `path` when it is invalid or could backtrack catastrophically.
 * `flags` may hold `g`, `i`, `m`, `s`, `y`.
 */
export function compileUserRegex(pattern: string, path: string, flags = ''): RegExp {
  if (!ALLOWED_FLAGS.test(flags)) {
    throw new ConfigError('PGT_ERR_CONFIG_REGEX', path, [pattern, `unsupported flags "${flags}"`])
  }
  let translated
  try {
    translated = translateRustRegex(pattern, flags.includes('i'))
  } catch (err) {
    if (!(err instanceof RegexTranslateError)) throw err
    throw new ConfigError('PGT_ERR_CONFIG_REGEX', path, [pattern, err.message])
  }
  const jsFlags = dedupeFlags(flags.replace('i', '') + translated.flags)
  try {
    // The linear-engine check: it refuses what could backtrack without bound.
    new RegExp(translated.source, jsFlags + 'l')
  } catch (err) {
    throw new ConfigError('PGT_ERR_CONFIG_REGEX', path, [pattern, explain(err)], { cause: err })
  }
  return new RegExp(translated.source, jsFlags)
}

function dedupeFlags(flags: string): string {
  return [...new Set(flags)].join('')
}

/** Turns V8's message into one a sysadmin can act on. */
function explain(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  if (message.includes(LINEAR_REFUSAL)) {
    return (
      'it cannot run in linear time (counted repetitions nested too deeply?); ' +
      'pingap-ts refuses patterns that could stall the proxy by backtracking'
    )
  }
  // "Invalid regular expression: /src/flags: reason" → "reason"
  const reason = /: ([^:]+)$/.exec(message)
  return reason?.[1] ?? message
}

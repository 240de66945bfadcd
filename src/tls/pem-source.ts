/**
 * Reads a `tls_cert` / `tls_key` value in any of the three forms Pingap accepts (spec §1.10):
 * PEM text, base64 of PEM text, or a file path (`~` is the user's home).
 */
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '../core/errors.ts'

const PEM_BEGIN = '-----BEGIN '
const BASE64 = /^[A-Za-z0-9+/=\s]+$/

function expandHome(path: string): string {
  if (path === '~') return homedir()
  return path.startsWith('~/') ? join(homedir(), path.slice(2)) : path
}

function decodeBase64Pem(text: string): string | undefined {
  if (!BASE64.test(text)) return undefined
  const decoded = Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8')
  return decoded.includes(PEM_BEGIN) ? decoded : undefined
}

/**
 * Returns the PEM text of `value`; `path` (e.g. `certificates.web.tls_cert`) names the key in
 * errors. A value that is neither PEM nor base64 of PEM is read as a file.
 */
export function readPemSource(value: string, path: string): string {
  const text = value.trim()
  if (text.includes(PEM_BEGIN)) return text
  const decoded = decodeBase64Pem(text)
  if (decoded !== undefined) return decoded
  let content: string
  try {
    content = readFileSync(expandHome(text), 'utf8')
  } catch (err) {
    const why = err instanceof Error && 'code' in err ? String(err.code) : String(err)
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', path, [
      `neither PEM, base64 of PEM nor a readable file (${why}): ${text.slice(0, 80)}`,
    ])
  }
  if (!content.includes(PEM_BEGIN)) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', path, [`file ${text} holds no PEM block`])
  }
  return content
}

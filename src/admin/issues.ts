/**
 * Validation issues (control-plane.md §3.5): whatever a candidate's validation threw, flattened
 * into `{ severity, code, path, message, file?, line? }` so the UI can put each one next to the
 * field it names.
 */
import { ConfigError, ConfigErrors, isPingapError } from '../core/errors.ts'

export interface ValidationIssue {
  readonly severity: 'error' | 'warning'
  readonly code: string
  /** Dotted TOML path, e.g. `locations.app.upstream`; `''` when nothing more precise is known. */
  readonly path: string
  readonly message: string
  readonly file?: string
  readonly line?: number
}

function fromConfigError(err: ConfigError): ValidationIssue {
  const line = /line (\d+), column/.exec(err.path)?.[1]
  return {
    severity: 'error',
    code: err.code,
    path: err.path,
    message: err.detail,
    ...(err.file !== undefined ? { file: err.file } : {}),
    ...(line !== undefined ? { line: Number(line) } : {}),
  }
}

/** The issues an error stands for (one per ConfigError of a ConfigErrors). */
export function issuesOf(err: unknown): ValidationIssue[] {
  if (err instanceof ConfigErrors) return err.errors.map(fromConfigError)
  if (err instanceof ConfigError) return [fromConfigError(err)]
  const message = err instanceof Error ? err.message : String(err)
  const code = isPingapError(err) ? err.code : 'PGT_ERR_CONFIG_INVALID'
  return [{ severity: 'error', code, path: '', message }]
}

/** Issues from the messages of a rejected pipeline run. */
export function issuesOfMessages(messages: readonly string[]): ValidationIssue[] {
  return messages.map((message) => ({
    severity: 'error',
    code: 'PGT_ERR_CONFIG_INVALID',
    path: '',
    message,
  }))
}

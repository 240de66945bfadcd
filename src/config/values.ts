/** Checks one raw TOML value against its KeySpec and returns the value to keep, or a problem. */
import { parseByteSize, parseDuration } from '../core/duration.ts'
import type { KeySpec } from './schema.ts'
import { isTable } from './toml.ts'

/** The checked value, or the reason it was refused (a sentence without the key path). */
export type ValueResult =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string }

const ok = (value: unknown): ValueResult => ({ ok: true, value })
const bad = (message: string): ValueResult => ({ ok: false, message })

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array'
  if (isTable(value)) return 'a table'
  return `${typeof value} ${JSON.stringify(value)}`
}

function checkInt(spec: KeySpec, value: unknown): ValueResult {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return bad(`expected an integer, got ${describe(value)}`)
  }
  if (spec.min !== undefined && value < spec.min)
    return bad(`must be at least ${spec.min}, got ${value}`)
  if (spec.max !== undefined && value > spec.max)
    return bad(`must be at most ${spec.max}, got ${value}`)
  return ok(value)
}

function checkString(spec: KeySpec, value: unknown): ValueResult {
  if (typeof value !== 'string') return bad(`expected a string, got ${describe(value)}`)
  if (spec.required === true && value.trim() === '') return bad('must not be empty')
  if (spec.oneOf !== undefined && !spec.oneOf.includes(value)) {
    const allowed = spec.oneOf.filter((v) => v !== '').map((v) => `"${v}"`)
    return bad(`must be one of ${allowed.join(', ')}, got "${value}"`)
  }
  return ok(value)
}

function checkDuration(value: unknown): ValueResult {
  if (typeof value !== 'string') {
    return bad(`expected a duration string such as "10s", got ${describe(value)}`)
  }
  return parseDuration(value) === undefined
    ? bad(`"${value}" is not a duration (examples: "500ms", "10s", "1m30s", "2d")`)
    : ok(value)
}

function checkByteSize(value: unknown): ValueResult {
  // Pingap's bytesize accepts a bare integer (bytes); keep it as text so the model stays string.
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return ok(String(value))
  if (typeof value !== 'string') return bad(`expected a size such as "1mb", got ${describe(value)}`)
  return parseByteSize(value) === undefined
    ? bad(`"${value}" is not a size (examples: "512", "64kb", "1mb", "4KiB")`)
    : ok(value)
}

function checkStringList(value: unknown): ValueResult {
  if (!Array.isArray(value)) return bad(`expected an array of strings, got ${describe(value)}`)
  const index = value.findIndex((v) => typeof v !== 'string')
  if (index >= 0)
    return bad(`expected an array of strings, item ${index} is ${describe(value[index])}`)
  return ok(value)
}

function checkTableList(value: unknown): ValueResult {
  if (!Array.isArray(value) || !value.every(isTable)) {
    return bad(`expected an array of tables, got ${describe(value)}`)
  }
  return ok(value)
}

/** Checks `value` against `spec`; sizes given as integers are returned as strings. */
export function checkValue(spec: KeySpec, value: unknown): ValueResult {
  switch (spec.kind) {
    case 'string':
      return checkString(spec, value)
    case 'bool':
      return typeof value === 'boolean'
        ? ok(value)
        : bad(`expected true or false, got ${describe(value)}`)
    case 'int':
      return checkInt(spec, value)
    case 'duration':
      return checkDuration(value)
    case 'bytesize':
      return checkByteSize(value)
    case 'string[]':
      return checkStringList(value)
    case 'table[]':
      return checkTableList(value)
  }
}

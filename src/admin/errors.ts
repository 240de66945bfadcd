/**
 * Admin API errors: a PingapError from the shared table (its status decides the HTTP status)
 * with extra JSON fields, and the 422 that carries every validation issue.
 */
import { PingapError, type ErrorCode } from '../core/errors.ts'
import type { ValidationIssue } from './issues.ts'

/** An admin error; `details` are merged into the JSON body. */
export class AdminError extends PingapError {
  override name = 'AdminError'
  readonly details: Readonly<Record<string, unknown>>

  constructor(
    code: ErrorCode,
    args: readonly unknown[] = [],
    details: Readonly<Record<string, unknown>> = {},
  ) {
    super(code, args)
    this.details = details
  }
}

/** A candidate config that does not validate: 422 with the issues. */
export class InvalidConfig extends AdminError {
  override name = 'InvalidConfig'
  readonly issues: readonly ValidationIssue[]

  constructor(issues: readonly ValidationIssue[]) {
    super('PGT_ERR_CONFIG_INVALID', ['the config is invalid; nothing was changed'], { issues })
    this.issues = issues
  }
}

/** 404 for an unknown route, item or version. */
export function notFound(what: string): AdminError {
  return new AdminError('PGT_ERR_ADMIN_NOT_FOUND', [what])
}

/** 400 for a malformed request. */
export function badRequest(why: string): AdminError {
  return new AdminError('PGT_ERR_BAD_REQUEST', [why])
}

/**
 * Who may use the admin server: users given with `--admin` / `PINGAP_ADMIN_USER` (password in
 * clear, in memory only) and users listed in the config as `basic.admin_users = ["name:<scrypt
 * hash>"]` (read from the running version, so adding a user is a config change like any other).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { logger } from '../core/logger.ts'
import { isPasswordHash, verifyPassword } from './password.ts'
import type { CliUser } from './spec.ts'

const log = logger.child({ module: 'admin' })

/** A fixed hash checked for unknown users, so a wrong name costs as much as a wrong password. */
const DUMMY_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/** Splits `name:hash` entries; malformed ones are skipped with a warning (once per text). */
export function configUsers(entries: readonly string[] | undefined): Map<string, string> {
  const out = new Map<string, string>()
  for (const entry of entries ?? []) {
    const colon = entry.indexOf(':')
    const name = entry.slice(0, colon)
    const hash = entry.slice(colon + 1)
    if (colon <= 0 || !isPasswordHash(hash)) {
      warnOnce(entry)
      continue
    }
    out.set(name, hash)
  }
  return out
}

const warned = new Set<string>()
function warnOnce(entry: string): void {
  const name = entry.split(':')[0] ?? ''
  if (warned.has(name)) return
  warned.add(name)
  log.warn('ignoring a basic.admin_users entry that is not "name:<scrypt hash>"', { user: name })
}

export class UserDirectory {
  readonly #cli: readonly CliUser[]
  readonly #config: () => readonly string[] | undefined

  constructor(cli: readonly CliUser[], config: () => readonly string[] | undefined) {
    this.#cli = cli
    this.#config = config
  }

  /** True when nobody could log in (no user on the command line or in the config). */
  get isEmpty(): boolean {
    return this.#cli.length === 0 && configUsers(this.#config()).size === 0
  }

  /** The command-line users, for Pingap's signed-token form (needs the clear password). */
  get cliUsers(): readonly CliUser[] {
    return this.#cli
  }

  /** Checks a user name and password. */
  async verify(user: string, password: string): Promise<boolean> {
    const cli = this.#cli.find((u) => u.user === user)
    if (cli !== undefined) return timingSafeEqual(digest(cli.password), digest(password))
    const hash = configUsers(this.#config()).get(user)
    const ok = await verifyPassword(password, hash ?? DUMMY_HASH)
    return ok && hash !== undefined
  }
}

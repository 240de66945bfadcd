/**
 * The config store of quick start with ACME: the generated config in memory, plus the ACME
 * certificate, which is mirrored to `~/.pingap/acme/<domains>.toml` (0600, written atomically)
 * on every save and read back at the next start, as Pingap does.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { writeFileAtomic } from './config/atomic-file.ts'
import { MemoryConfigStore } from './config/memory-store.ts'
import type { ConfigCategory, RawTable } from './config/types.ts'
import { quickStartToml, type QuickStartOptions } from './quick-start.ts'

/** The key the certificate item has in the memory store. */
const CERTIFICATE_KEY = 'certificates/pingap.toml'

export class QuickStartStore extends MemoryConfigStore {
  readonly #stateFile: string

  constructor(options: QuickStartOptions, stateFile: string) {
    const saved = existsSync(stateFile) ? readFileSync(stateFile, 'utf8') : undefined
    const texts: Record<string, string> = {
      'pingap.toml': quickStartToml(options, {
        kind: 'acme',
        withCertificateItem: saved === undefined,
      }),
    }
    if (saved !== undefined) texts[CERTIFICATE_KEY] = saved
    super(texts, 'quick-start')
    this.#stateFile = stateFile
  }

  /** Saves in memory; a certificate is also written to the state file. */
  override async save(category: ConfigCategory, name: string, value: RawTable | undefined) {
    await super.save(category, name, value)
    if (category !== 'certificates') return
    const text = this.snapshot()[CERTIFICATE_KEY]
    if (text === undefined) return
    mkdirSync(dirname(this.#stateFile), { recursive: true, mode: 0o700 })
    await writeFileAtomic(this.#stateFile, text, 0o600)
  }
}

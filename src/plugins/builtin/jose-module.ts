/**
 * jose, imported on first use: most configs have no asymmetric `jwt` plugin, and loading its
 * 46 modules at start-up costs several MB of idle RSS (issue 4).
 */
import type * as Jose from 'jose'

let loading: Promise<typeof Jose> | undefined

/** Resolves to the jose module, importing it once. */
export function loadJose(): Promise<typeof Jose> {
  return (loading ??= import('jose'))
}

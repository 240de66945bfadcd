/**
 * Pingap's location ordering rule, kept bit for bit so that configs order the same
 * (LocationConf::get_weight in pingap-config; spec §2.3, decisions §3):
 * - an explicit `weight` (u16) wins outright;
 * - else, only when `path` is longer than one byte: `=` +1024, `~` +256, prefix +512, plus
 *   min(byte length of the untrimmed path string, 64);
 * - a non-empty `host` adds 128, or the byte length of the whole host string when any
 *   comma-separated entry starts with `~`.
 * Lengths are UTF-8 bytes, as Rust's `str::len`; the sum wraps at 16 bits like a u16.
 */

const U16 = 0xffff

/** The sort weight of a location; higher is tried first. */
export function locationWeight(conf: { weight?: number; path?: string; host?: string }): number {
  if (conf.weight !== undefined) return conf.weight & U16

  let weight = 0
  const path = conf.path ?? ''
  const pathBytes = Buffer.byteLength(path)
  if (pathBytes > 1) {
    if (path.startsWith('=')) weight += 1024
    else if (path.startsWith('~')) weight += 256
    else weight += 512
    weight += Math.min(pathBytes, 64)
  }
  const host = conf.host ?? ''
  if (host !== '') {
    const hasRegex = host.split(',').some((entry) => entry.startsWith('~'))
    weight += hasRegex ? Buffer.byteLength(host) : 128
  }
  return weight & U16
}

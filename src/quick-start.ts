/** Quick start (spec §9): `--upstream` builds a one-location config in memory. */

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

/** The TOML for `--upstream a,b [--domain x,y] [--addr ip:port]` (plain HTTP for now). */
export function quickStartToml(upstream: string, domain?: string, addr?: string): string {
  const quote = (s: string): string => JSON.stringify(s)
  const lines = [
    '[upstreams.pingap]',
    `addrs = [${list(upstream).map(quote).join(', ')}]`,
    '',
    '[locations.pingap]',
    'upstream = "pingap"',
    'path = "/"',
  ]
  if (domain !== undefined && domain !== '') lines.push(`host = ${quote(list(domain).join(','))}`)
  lines.push(
    '',
    '[servers.pingap]',
    `addr = ${quote(addr ?? '0.0.0.0:80')}`,
    'access_log = "combined"',
    'locations = ["pingap"]',
    '',
  )
  return lines.join('\n')
}

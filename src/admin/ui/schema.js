// Which fields each category's form shows first; the others are under "More fields".

export const CATEGORIES = [
  ['servers', 'Servers'],
  ['locations', 'Locations'],
  ['upstreams', 'Upstreams'],
  ['plugins', 'Plugins'],
  ['certificates', 'Certificates'],
  ['storages', 'Storages'],
  ['basic', 'Basic'],
]

export const PRIMARY = {
  servers: ['addr', 'locations', 'access_log', 'global_certificates', 'enabled_h2', 'remark'],
  locations: [
    'path',
    'host',
    'upstream',
    'plugins',
    'rewrite',
    'weight',
    'proxy_set_headers',
    'remark',
  ],
  upstreams: [
    'addrs',
    'algo',
    'health_check',
    'discovery',
    'sni',
    'connection_timeout',
    'read_timeout',
    'remark',
  ],
  plugins: ['category', 'step', 'remark'],
  certificates: ['domains', 'tls_cert', 'tls_key', 'is_default', 'acme', 'remark'],
  storages: ['category', 'value', 'secret', 'remark'],
  basic: ['name', 'log_level', 'error_template', 'grace_period', 'trusted_proxies', 'admin_users'],
}

/** The columns the list of a category shows besides the name. */
export const SUMMARY = {
  servers: ['addr', 'locations'],
  locations: ['host', 'path', 'upstream'],
  upstreams: ['addrs', 'algo'],
  plugins: ['category', 'step'],
  certificates: ['domains'],
  storages: ['category'],
}

export function label(key) {
  return key.replace(/_/g, ' ')
}

/** Form text for a value of `kind`. */
export function toText(kind, value) {
  if (value === undefined || value === null) return ''
  if (kind === 'string[]') return Array.isArray(value) ? value.join('\n') : String(value)
  if (kind === 'table[]' || typeof value === 'object') return JSON.stringify(value, null, 2)
  return String(value)
}

/** The value of a form text, or undefined to leave the key out. */
export function fromText(kind, text) {
  const t = text.trim()
  if (t === '') return undefined
  if (kind === 'string[]')
    return t
      .split('\n')
      .map((s) => s.trim())
      .filter((s) => s !== '')
  if (kind === 'int') return /^-?\d+$/.test(t) ? Number(t) : t
  if (kind === 'bool') return t === 'true'
  if (kind === 'table[]') {
    try {
      return JSON.parse(t)
    } catch {
      return t
    }
  }
  return text
}

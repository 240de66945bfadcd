// The admin API client of the web UI: same-origin fetch below the mount (relative URLs), the
// CSRF token of the session on every write, and errors that keep the server's JSON body.

let csrfToken = null

/** Remembers the CSRF token of the logged-in session. */
export function setCsrf(token) {
  csrfToken = token
}

/** An API error: `status` and the server's `{ code, message, issues? }` body in `data`. */
export class ApiError extends Error {
  constructor(status, data) {
    super((data && data.message) || `HTTP ${status}`)
    this.status = status
    this.data = data || {}
  }
}

/** Calls `api/v1<path>`; `body` objects are sent as JSON, strings as `type` (TOML). */
export async function api(method, path, { body, etag, type, noneMatch } = {}) {
  const headers = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = type || 'application/json'
  if (etag) headers['if-match'] = etag
  if (noneMatch) headers['if-none-match'] = '*'
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken
  const res = await fetch(`api/v1${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  let data = text
  try {
    data = text === '' ? null : JSON.parse(text)
  } catch {
    // TOML or plain text
  }
  if (!res.ok) throw new ApiError(res.status, typeof data === 'object' ? data : { message: text })
  return { data, etag: res.headers.get('etag'), status: res.status }
}

/** The dotted TOML key of an item name (quoted unless bare), as the server writes paths. */
export function tomlKey(key) {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key)
}

/** The path prefix of an item's fields in validation issues. */
export function itemPath(category, name) {
  return category === 'basic' ? 'basic' : `${category}.${tomlKey(name)}`
}

/** "3 minutes ago" style text for an ISO date. */
export function ago(iso) {
  if (!iso) return ''
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000)
  if (s < 60) return `${s}s ago`
  if (s < 3600) return `${Math.floor(s / 60)}m ago`
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`
  return `${Math.floor(s / 86400)}d ago`
}

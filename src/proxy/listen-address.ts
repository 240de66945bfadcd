/** Parses a listen address: `127.0.0.1:6188`, `[::1]:6188`, `0.0.0.0:80`, `:8080`. */
import { ConfigError } from '../core/errors.ts'

export interface ListenAddress {
  readonly host: string
  readonly port: number
}

/** Splits `addr` into host and port; a missing host means every IPv4 address. */
export function parseListenAddress(addr: string, path = 'servers.addr'): ListenAddress {
  const text = addr.trim()
  let host: string
  let portText: string
  if (text.startsWith('[')) {
    const end = text.indexOf(']')
    host = text.slice(1, end)
    portText = text.slice(end + 2)
  } else {
    const colon = text.lastIndexOf(':')
    host = colon < 0 ? text : text.slice(0, colon)
    portText = colon < 0 ? '' : text.slice(colon + 1)
  }
  const port = Number(portText)
  if (portText === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', path, [
      `"${addr}" is not a valid listen address`,
    ])
  }
  return { host: host === '' ? '0.0.0.0' : host, port }
}

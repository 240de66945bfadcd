/**
 * The floor of a Node proxy (issue 4): node:http in front, undici `Pool.stream` behind, no
 * routing, no logging, headers passed through minus the hop-by-hop ones.
 * Usage: `node bare-undici.js <port> <origin host:port>`; listens on 127.0.0.1.
 */
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import { Pool } from 'undici'

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade'])

function endToEnd(headers: IncomingHttpHeaders | Record<string, unknown>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name)) out[name] = value as OutgoingHttpHeaders[string]
  }
  return out
}

const [port, origin] = process.argv.slice(2)
const pool = new Pool(`http://${origin}`, { connections: 64 })

createServer((req, res) => {
  const bodyless = req.method === 'GET' || req.method === 'HEAD'
  pool.stream(
    {
      path: req.url ?? '/',
      method: req.method ?? 'GET',
      headers: endToEnd(req.headers) as Record<string, string>,
      body: bodyless ? null : req,
    },
    ({ statusCode, headers }) => {
      res.writeHead(statusCode, endToEnd(headers))
      return res
    },
    (err) => {
      if (err === null) return
      if (!res.headersSent) res.writeHead(502)
      res.end()
    },
  )
}).listen(Number(port), '127.0.0.1', 4096)

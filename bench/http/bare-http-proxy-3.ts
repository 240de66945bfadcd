/**
 * The library baseline of issue 4: http-proxy-3 with a keep-alive agent, no routing, no
 * logging. Usage: `node bare-http-proxy-3.js <port> <origin host:port>`; listens on 127.0.0.1.
 */
import { Agent, createServer } from 'node:http'
import { createProxyServer } from 'http-proxy-3'

const [port, origin] = process.argv.slice(2)
const agent = new Agent({ keepAlive: true, maxSockets: 64 })
const proxy = createProxyServer({ target: `http://${origin}`, agent })

proxy.on('error', (_err, _req, res) => {
  // `res` is a socket for WebSocket upgrades, which this baseline never receives.
  if ('headersSent' in res && !res.headersSent) res.writeHead(502)
  res.end()
})

createServer((req, res) => proxy.web(req, res)).listen(Number(port), '127.0.0.1', 4096)

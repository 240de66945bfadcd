/**
 * Cost of formatting one access-log line (compiled template), per preset and for a template
 * using every cheap tag. Run: `npm run build:tests && node .build/bench/micro/access-log.bench.js`.
 */
import { compileAccessLog, type AccessLogResponse } from '../../src/proxy/access-log.ts'
import { fakeContext } from '../../test/helpers/fake-context.ts'
import { bestOf } from './best-of.ts'

const ctx = fakeContext({
  method: 'GET',
  path: '/api/users',
  query: 'page=2',
  headers: {
    host: 'b.test',
    referer: 'https://ref.test/',
    'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0',
    cookie: 'sid=abc; theme=dark',
  },
  location: 'api',
  upstreamAddr: '127.0.0.1:8080',
  upstreamStatus: 200,
})
const res: AccessLogResponse = {
  status: 200,
  bytes: 1124,
  headers: { 'content-type': 'text/plain' },
}

const TEMPLATES: Record<string, string> = {
  tiny: 'tiny',
  combined: 'combined',
  'all tags': [
    '{host} {method} {path} {proto} {query} {remote} {client_ip} {scheme} {uri} {referer}',
    '{user_agent} {when} {size} {size_human} {status} {latency} {latency_human} {payload_size}',
    '{request_id} {~sid} {>user-agent} {<content-type} {:location} {:upstream_addr} {$hostname}',
  ].join(' '),
}

/** Runs the benchmark and returns ns per line by template name. */
export function runAccessLogBench(): Record<string, number> {
  const results: Record<string, number> = {}
  let sink = 0
  for (const [name, spec] of Object.entries(TEMPLATES)) {
    const log = compileAccessLog(spec)
    results[name] = bestOf(() => {
      sink += log.format(ctx, res).length
    })
  }
  if (sink === 0) throw new Error('unreachable: keeps the work observable')
  return results
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, ns] of Object.entries(runAccessLogBench())) {
    console.log(`${name.padEnd(10)} ${(ns / 1000).toFixed(2)} µs/line`)
  }
}

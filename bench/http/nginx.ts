/**
 * nginx for the benchmark: the ORIGIN (answers a fixed ~100-byte JSON body on every path) and
 * the PROXY baseline (one worker or `auto`, keep-alive upstream, the 10 locations of
 * locations.ts).
 * Both run in the foreground as one process (`daemon off; master_process off;`) so the run
 * stops them by PID; every path nginx writes is inside the run's temp dir.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BENCH_LOCATIONS, type BenchLocation } from './locations.ts'
import { startProcess, type Tracked } from './processes.ts'

/** The origin's response body: 100 bytes of JSON. */
export const ORIGIN_BODY =
  '{"message":"hello from the origin","service":"bench","ok":true,"padding":"0123456789abcdefghijklmn"}'

/** Ten plain prefixes (`/a0` … `/a8`, then `/`), for benchmarks that need no host or regex rule. */
export const LOCATION_PREFIXES = [...Array.from({ length: 9 }, (_, i) => `/a${i}`), '/']

/** The main context of a one-process nginx named `name` whose files live in `dir`. */
export function nginxMain(dir: string, name: string): string {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, `${name}.pid`)};
error_log ${join(dir, `${name}-error.log`)} warn;
events { worker_connections 4096; }
`
}

/** The `*_temp_path` lines of an `http` block, inside `dir`. */
export function nginxTempPaths(dir: string, name: string): string {
  return ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `  ${kind}_temp_path ${join(dir, `${name}-${kind}`)};`)
    .join('\n')
}

/** Config of the origin nginx. */
export function originConf(dir: string, port: number): string {
  return `${nginxMain(dir, 'origin')}http {
  access_log off;
${nginxTempPaths(dir, 'origin')}
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    default_type application/json;
    location / { return 200 '${ORIGIN_BODY}'; }
  }
}
`
}

/** What the nginx proxy does besides proxying (defaults: 1 worker, no request id). */
export interface NginxProxyOptions {
  /** `auto` runs a master with one worker per CPU (the cluster scenario). */
  readonly workers?: 1 | 'auto'
  /** Keeps or generates `X-Request-Id` towards the origin and on the response (`request_id`). */
  readonly requestId?: boolean
}

function nginxLocation(location: BenchLocation): string {
  const match = location.path.startsWith('~') ? `~ ${location.path.slice(1)}` : location.path
  return `    location ${match} { proxy_pass http://origin; }`
}

/**
 * One server block per host of BENCH_LOCATIONS plus the default one; each holds its host's
 * locations and every host-less one, which is how Pingap tries a location's host then its path.
 */
function serverBlocks(port: number): string {
  const shared = BENCH_LOCATIONS.filter((l) => l.host === undefined).map(nginxLocation)
  const hosts = [...new Set(BENCH_LOCATIONS.flatMap((l) => (l.host === undefined ? [] : [l.host])))]
  const block = (head: string, own: string[]): string =>
    `  server {\n    listen 127.0.0.1:${port}${head};\n${[...own, ...shared].join('\n')}\n  }`
  return [
    block(' backlog=4096 default_server', []),
    ...hosts.map((host) =>
      block(
        `;\n    server_name ${host}`,
        BENCH_LOCATIONS.filter((l) => l.host === host).map(nginxLocation),
      ),
    ),
  ].join('\n')
}

const REQUEST_ID = `  map $http_x_request_id $bench_request_id {
    default $http_x_request_id;
    "" $request_id;
  }
  proxy_set_header X-Request-Id $bench_request_id;
  add_header X-Request-Id $bench_request_id;
`

/**
 * Config of the nginx proxy over BENCH_LOCATIONS; `accessLog` is a file path or undefined for
 * `access_log off`.
 */
export function proxyConf(
  dir: string,
  port: number,
  originPort: number,
  accessLog?: string,
  options: NginxProxyOptions = {},
): string {
  let head = nginxMain(dir, 'proxy')
  if (options.workers === 'auto') {
    head = head
      .replace('master_process off;', 'master_process on;')
      .replace('worker_processes 1;', 'worker_processes auto;')
  }
  return `${head}http {
  access_log ${accessLog === undefined ? 'off' : `${accessLog} combined`};
${nginxTempPaths(dir, 'proxy')}
  keepalive_requests 1000000;
  upstream origin {
    server 127.0.0.1:${originPort};
    keepalive 64;
  }
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host $host;
${options.requestId === true ? REQUEST_ID : ''}${serverBlocks(port)}
}
`
}

/** Writes `conf` as `<dir>/<name>.conf` and starts nginx on it with `dir` as its prefix. */
export async function startNginx(
  dir: string,
  name: string,
  conf: string,
  cpus?: string,
): Promise<Tracked> {
  const file = join(dir, `${name}.conf`)
  await writeFile(file, conf)
  const args = ['-p', dir, '-e', join(dir, `${name}-error.log`), '-c', file]
  return startProcess(`nginx ${name}`, 'nginx', args, cpus)
}

/**
 * nginx for the benchmark: the ORIGIN (answers a fixed ~100-byte JSON body on every path) and
 * the PROXY baseline (one worker, keep-alive upstream, the same 10 locations as pingap-ts).
 * Both run in the foreground as one process (`daemon off; master_process off;`) so the run
 * stops them by PID; every path nginx writes is inside the run's temp dir.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startProcess, type Tracked } from './processes.ts'

/** The origin's response body: 100 bytes of JSON. */
export const ORIGIN_BODY =
  '{"message":"hello from the origin","service":"bench","ok":true,"padding":"0123456789abcdefghijklmn"}'

/** The location prefixes both proxies serve (`/a0` … `/a8`, then `/`). */
export const LOCATION_PREFIXES = [...Array.from({ length: 9 }, (_, i) => `/a${i}`), '/']

function common(dir: string, name: string): string {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, `${name}.pid`)};
error_log ${join(dir, `${name}-error.log`)} warn;
events { worker_connections 4096; }
`
}

function tempPaths(dir: string, name: string): string {
  return ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `  ${kind}_temp_path ${join(dir, `${name}-${kind}`)};`)
    .join('\n')
}

/** Config of the origin nginx. */
export function originConf(dir: string, port: number): string {
  return `${common(dir, 'origin')}http {
  access_log off;
${tempPaths(dir, 'origin')}
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    default_type application/json;
    location / { return 200 '${ORIGIN_BODY}'; }
  }
}
`
}

/** Config of the nginx proxy; `accessLog` is a file path or undefined for `access_log off`. */
export function proxyConf(
  dir: string,
  port: number,
  originPort: number,
  accessLog?: string,
): string {
  const locations = LOCATION_PREFIXES.map(
    (prefix) => `    location ${prefix} { proxy_pass http://origin; }`,
  ).join('\n')
  return `${common(dir, 'proxy')}http {
  access_log ${accessLog === undefined ? 'off' : `${accessLog} combined`};
${tempPaths(dir, 'proxy')}
  keepalive_requests 1000000;
  upstream origin {
    server 127.0.0.1:${originPort};
    keepalive 64;
  }
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host $host;
  server {
    listen 127.0.0.1:${port} backlog=4096;
${locations}
  }
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

/**
 * The throughput scenarios the issues ask for, each a set of targets measured in the same
 * rounds: `main`, `cluster` (issue 4), `plugins` (issue 3), `metrics`, `tracing` (issue 6)
 * and `scale` (issue 4). See bench/README.md for what each compares.
 */
import { join } from 'node:path'
import { BIG, SMALL, scaleTarget, writeScaleConf, type ScaleShape } from './scale-config.ts'
import { startBare, type BareProxy } from './bare.ts'
import { proxyConf, startNginx, type NginxProxyOptions } from './nginx.ts'
import {
  ALL_BENCH_PLUGINS,
  METRICS_PATH,
  startPingap,
  writePingapConf,
  type PingapOptions,
} from './pingap.ts'
import { get } from './processes.ts'
import type { Scenario, Target } from './scenario.ts'

const base = (port: number): string => `http://127.0.0.1:${port}`

function nginx(name: string, options: NginxProxyOptions): Target {
  return {
    name,
    async start(ctx, port) {
      const log = join(ctx.dir, `${name}-access.log`)
      const conf = proxyConf(ctx.dir, port, ctx.originPort, log, options)
      const cpus = options.workers === 'auto' ? undefined : ctx.proxyCpus
      const process = await startNginx(ctx.dir, name, conf, cpus)
      return { base: base(port), process, children: options.workers === 'auto', log }
    },
  }
}

/** What a pingap-ts target sets; `tracing` points `otlp_exporter` at the run's sink. */
type PingapTarget = Omit<PingapOptions, 'otlp' | 'name'> & { readonly tracing?: boolean }

/** pingap-ts with the access log on and `options`; `check` runs once it is up. */
function pingap(
  name: string,
  { tracing = false, ...options }: PingapTarget,
  check?: (base: string) => Promise<void>,
): Target {
  const threads = options.threads ?? 1
  return {
    name,
    traced: tracing,
    ...(check === undefined ? {} : { check }),
    async start(ctx, port) {
      const log = join(ctx.dir, `${name}-access.log`)
      const otlp = tracing ? { otlp: ctx.otlp.url } : {}
      const conf = await writePingapConf(ctx.dir, port, ctx.originPort, `${log} combined`, {
        ...options,
        ...otlp,
        name,
      })
      const process = startPingap(conf, threads > 1 ? undefined : ctx.proxyCpus)
      return { base: base(port), process, children: threads > 1, log }
    },
  }
}

function bare(name: BareProxy): Target {
  return {
    name,
    start(ctx, port) {
      const process = startBare(name, port, ctx.originPort, ctx.proxyCpus)
      return Promise.resolve({ base: base(port), process, children: false })
    },
  }
}

/** pingap-ts on a generated config of `shape` (bench/scale.ts), no access log. */
function scaled(name: string, shape: ScaleShape): Target {
  const { host, path } = scaleTarget(shape)
  return {
    name,
    host,
    path,
    async start(ctx, port) {
      const conf = join(ctx.dir, `scale-${name}`)
      await writeScaleConf(conf, shape, `127.0.0.1:${port}`, `127.0.0.1:${ctx.originPort}`)
      return { base: base(port), process: startPingap(conf, ctx.proxyCpus), children: false }
    },
  }
}

async function expectMetrics(url: string): Promise<void> {
  const res = await get(`${url}${METRICS_PATH}`)
  if (res.status !== 200 || !res.body.includes('pingap_http_requests_total')) {
    throw new Error(`${METRICS_PATH} answered ${res.status} without pingap_http_requests_total`)
  }
}

async function expectPluginHeaders(url: string): Promise<void> {
  const res = await get(`${url}/a5/check`)
  if (res.headers['x-request-id'] === undefined || res.headers['x-served-by'] !== 'bench') {
    throw new Error(`plugins did not run: ${JSON.stringify(res.headers)}`)
  }
}

/** The main scenario's pingap-ts: access log, metrics and `request_id` (issue 4). */
const MAIN: PingapTarget = { metrics: true, plugins: ['requestId'] }

/** Every scenario, in the order a full run measures them. */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'main',
    title:
      'one process each: 10 locations (regex, host rules), access log, request id; pingap-ts also metrics (issue 4)',
    targets: [
      nginx('nginx', { requestId: true }),
      pingap('pingap-ts', MAIN, expectMetrics),
      bare('bare-undici'),
      bare('bare-http-proxy-3'),
    ],
    ratios: [
      { of: 'pingap-ts', to: 'nginx', minRps: 0.45, maxP99: 2 },
      { of: 'pingap-ts', to: 'bare-http-proxy-3', minRps: 2 },
      { of: 'pingap-ts', to: 'bare-undici' },
      { of: 'bare-undici', to: 'nginx' },
    ],
  },
  {
    name: 'cluster',
    title:
      'the main config on every core: pingap-ts threads = 2 vs nginx worker_processes auto (issue 4)',
    targets: [
      nginx('nginx-auto', { requestId: true, workers: 'auto' }),
      pingap('pingap-ts-2', { ...MAIN, threads: 2 }),
    ],
    ratios: [{ of: 'pingap-ts-2', to: 'nginx-auto', minRps: 0.6 }],
  },
  {
    name: 'plugins',
    title:
      'ip_restriction + limit + request_id + response_headers on every location vs none (issue 3)',
    targets: [
      pingap('no-plugins', { metrics: true }),
      pingap('plugins', { metrics: true, plugins: ALL_BENCH_PLUGINS }, expectPluginHeaders),
    ],
    ratios: [{ of: 'plugins', to: 'no-plugins', minRps: 0.9 }],
  },
  {
    name: 'metrics',
    title: 'the main pingap-ts config with prometheus_metrics off vs on (issue 6: cost ≤ 5 %)',
    targets: [
      pingap('metrics-off', { ...MAIN, metrics: false }),
      pingap('metrics-on', MAIN, expectMetrics),
    ],
    ratios: [{ of: 'metrics-on', to: 'metrics-off', minRps: 0.95 }],
  },
  {
    name: 'tracing',
    title:
      'the main pingap-ts config without vs with otlp_exporter to a local sink (issue 6: ≤ 25 %)',
    targets: [pingap('tracing-off', MAIN), pingap('tracing-on', { ...MAIN, tracing: true })],
    ratios: [{ of: 'tracing-on', to: 'tracing-off', minRps: 0.75 }],
  },
  {
    name: 'scale',
    title: 'pingap-ts with 10,000 locations (500 upstreams, 50 hosts) vs 10 (issue 4: within 10 %)',
    targets: [scaled('locations-10', SMALL), scaled('locations-10000', BIG)],
    ratios: [{ of: 'locations-10000', to: 'locations-10', minRps: 0.9 }],
  },
]

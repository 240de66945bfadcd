/**
 * The prom-client side of the metrics, loaded with `import()` only when some server sets
 * `prometheus_metrics` (prom-client adds ~11 MB of RSS): a Registry holding every family,
 * Node's default metrics and the gauges read at scrape time.
 */
import { Registry, collectDefaultMetrics } from 'prom-client'
import type { AnyFamily } from './families.ts'
import {
  registerProcessGauges,
  registerUpstreamGauges,
  type UpstreamSource,
} from './scrape-gauges.ts'

export interface RegistryParts {
  readonly families: readonly AnyFamily[]
  readonly defaultMetrics: boolean
  readonly upstreams: () => UpstreamSource | undefined
}

/** Builds the process's Registry. */
export function buildRegistry(parts: RegistryParts): Registry {
  const registry = new Registry()
  // prom-client types registerMetric() with its own classes; a family has the same shape.
  for (const family of parts.families)
    registry.registerMetric(family as unknown as Parameters<Registry['registerMetric']>[0])
  if (parts.defaultMetrics) collectDefaultMetrics({ register: registry })
  registerProcessGauges(registry)
  registerUpstreamGauges(registry, parts.upstreams)
  return registry
}

/** Renders one metric that is not a family (prom-client's own formatter). */
export function renderWithPromClient(registry: Registry, metric: unknown): Promise<string> {
  const r = registry as unknown as { getMetricsAsString(m: unknown): Promise<string> }
  return r.getMetricsAsString(metric)
}

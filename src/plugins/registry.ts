/**
 * Maps a `category` string to the factory that builds that kind of plugin. No globals and no
 * import side effects: every runtime (and every test) builds its own registry.
 */
import { ConfigError } from '../core/errors.ts'
import { hashConfig } from '../core/hash.ts'
import { PLUGIN_STEPS, type Plugin, type PluginFactory, type PluginStep } from './types.ts'

/** The configured `step`, checked against what the category can run at. */
function resolveStep(value: unknown, factory: PluginFactory, path: string): PluginStep {
  if (value === undefined) return factory.defaultStep
  const step = typeof value === 'string' ? value.trim().toLowerCase() : JSON.stringify(value)
  const known = PLUGIN_STEPS.find((s) => s === step)
  if (known === undefined || !factory.steps.includes(known)) {
    throw new ConfigError('PGT_ERR_PLUGIN_STEP', path, [
      factory.category,
      step,
      factory.steps.join(', '),
    ])
  }
  return known
}

/** Maps a `category` string to the factory that builds that kind of plugin. */
export class PluginRegistry {
  readonly #factories = new Map<string, PluginFactory>()

  /** Adds a category; a second registration of the same category is a programming error. */
  register<Conf>(factory: PluginFactory<Conf>): this {
    if (this.#factories.has(factory.category)) {
      throw new Error(`plugin category "${factory.category}" registered twice`)
    }
    this.#factories.set(factory.category, factory)
    return this
  }

  /** Registered categories, sorted. */
  categories(): string[] {
    return [...this.#factories.keys()].sort()
  }

  /** The factory of `category`, if registered. */
  get(category: string): PluginFactory | undefined {
    return this.#factories.get(category)
  }

  /**
   * Builds the plugin for `[plugins.<name>]`. When `previous` has the same category and config
   * hash it is returned as is, keeping its state (rate counters, caches).
   */
  create(name: string, raw: Readonly<Record<string, unknown>>, previous?: Plugin): Plugin {
    const path = `plugins.${name}`
    const category = raw['category']
    if (typeof category !== 'string' || category.trim() === '') {
      throw new ConfigError('PGT_ERR_CONFIG_INVALID', `${path}.category`, ['is required'])
    }
    const factory = this.#factories.get(category)
    if (factory === undefined) {
      throw new ConfigError('PGT_ERR_PLUGIN_UNKNOWN', `${path}.category`, [category])
    }
    const hash = hashConfig(raw)
    if (previous?.category === category && previous.hash === hash) return previous

    const step = resolveStep(raw['step'], factory, `${path}.step`)
    const conf = factory.parse(raw, path)
    return factory.create({ name, hash, step, conf })
  }
}

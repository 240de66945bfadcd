/**
 * The oracle: locations sorted by descending weight (stable, so ties keep the configured
 * order), and the first full match wins (spec §2.3). Deliberately naive and never optimised;
 * every other ServerRouter must return what this one returns.
 */
import type { LocationMatcher, ServerRouter } from './types.ts'

/** Sorts by descending weight, keeping list order among equal weights (Array#sort is stable). */
export function byWeight(locations: readonly LocationMatcher[]): LocationMatcher[] {
  return [...locations].sort((a, b) => b.weight - a.weight)
}

/** A router that tries every location in weight order. */
export function linearRouter(locations: readonly LocationMatcher[]): ServerRouter {
  const ordered = byWeight(locations)
  return {
    route(input) {
      for (const location of ordered) {
        const variables = location.match(input)
        if (variables !== null) return { location, variables }
      }
      return undefined
    },
  }
}

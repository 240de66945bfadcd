/**
 * Turns off V8's allocation-site pretenuring for every pingap-ts process (primary, workers,
 * `threads = 1`). Imported first by the CLI, before any config is built.
 *
 * Why: building a large config (10,000 locations) allocates hundreds of thousands of objects
 * that all survive, from object literals in helpers that the request path also runs. V8 notices
 * that those allocation sites' objects survive and starts allocating them straight into the old
 * generation. Per-request objects from the same sites then land in old space too, and every
 * young object they point to (request, response, buffers) is kept alive by them until the next
 * full GC: measured at 10,000 locations, ~2.7 MB promoted per scavenge (5 ms scavenges instead
 * of 0.5 ms) and 65 instead of 53 µs of CPU per proxied request. A proxy's request objects die
 * young by design, so the heuristic only costs here. bench/scale.ts shows what the config
 * build pays without it (see docs/performance.md).
 */
import { setFlagsFromString } from 'node:v8'

setFlagsFromString('--no-allocation-site-pretenuring')

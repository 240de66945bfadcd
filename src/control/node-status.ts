/**
 * Node status in etcd mode (control-plane.md §3.11): each node keeps `<prefix>nodes/<id>` under
 * a lease, holding its addresses, the version it applied (by content hash, the same on every
 * node) or its last rejection with the reason. The key disappears when the node stops or dies.
 */
import { hostname } from 'node:os'
import type { EtcdConfigStore } from '../config/etcd-store.ts'
import { logger } from '../core/logger.ts'
import { VERSION } from '../core/version.ts'

const log = logger.child({ module: 'node-status' })

/** What one node reports about itself. */
export interface NodeStatus {
  readonly nodeId: string
  readonly hostname: string
  readonly pid: number
  readonly version: string
  readonly startedAt: string
  readonly updatedAt: string
  /** Bound proxy listeners (`server` → addresses) and the admin address, if any. */
  readonly listeners: readonly string[]
  readonly admin?: string
  /** This node's own version number (numbers are per node; compare `appliedHash`). */
  readonly appliedVersion: number
  readonly appliedHash: string
  /** Set while the latest config in etcd is rejected by this node. */
  readonly lastRejected?: { readonly at: string; readonly errors: readonly string[] }
}

/** What the reporter reads from its process at each write. */
export interface NodeFacts {
  readonly listeners: () => readonly string[]
  readonly applied: () => { version: number; hash: string }
  readonly rejection: () => { at: string; errors: readonly string[] } | undefined
}

/** The node id: `PINGAP_NODE_ID`, else `<hostname>:<pid>`. */
export function nodeId(env: NodeJS.ProcessEnv = process.env): string {
  return env['PINGAP_NODE_ID'] || `${hostname()}:${process.pid}`
}

/** Lease TTL in seconds: `PINGAP_NODE_TTL` (tests), else 15. */
function ttlSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env['PINGAP_NODE_TTL'])
  return Number.isInteger(n) && n >= 2 ? n : 15
}

/** Keeps this node's status key alive and current. */
export class NodeReporter {
  readonly id = nodeId()
  readonly #store: EtcdConfigStore
  readonly #facts: NodeFacts
  readonly #ttl = ttlSeconds()
  readonly #startedAt = new Date().toISOString()
  #lease: string | undefined
  #admin: string | undefined
  #timer: NodeJS.Timeout | undefined
  #busy: Promise<void> = Promise.resolve()
  #stopped = false

  constructor(store: EtcdConfigStore, facts: NodeFacts) {
    this.#store = store
    this.#facts = facts
  }

  /** Writes the status now and refreshes the lease every third of its TTL. */
  start(): void {
    this.report()
    this.#timer = setInterval(() => this.#enqueue(() => this.#refresh()), (this.#ttl * 1000) / 3)
    this.#timer.unref()
  }

  /** Writes the current facts (after a version was applied or rejected). */
  report(): void {
    this.#enqueue(() => this.#write())
  }

  /** Records the admin server's address (it starts after the proxy) and reports it. */
  setAdmin(address: string): void {
    this.#admin = address
    this.report()
  }

  /** Stops refreshing and revokes the lease, so the key goes at once. */
  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    await this.#busy
    const lease = this.#lease
    this.#lease = undefined
    if (lease !== undefined) await this.#store.client.revoke(lease).catch(() => undefined)
  }

  #enqueue(work: () => Promise<void>): void {
    this.#busy = this.#busy
      .then(() => (this.#stopped ? undefined : work()))
      .catch((err: unknown) => {
        // etcd is down: keep serving; the next tick grants a new lease and rewrites.
        this.#lease = undefined
        log.debug('cannot write the node status to etcd', { error: String(err) })
      })
  }

  async #refresh(): Promise<void> {
    if (this.#lease !== undefined && (await this.#store.client.keepAlive(this.#lease))) return
    this.#lease = undefined
    await this.#write()
  }

  async #write(): Promise<void> {
    this.#lease ??= await this.#store.client.grantLease(this.#ttl)
    const key = `${this.#store.nodesPrefix}${this.id}`
    await this.#store.client.put(key, JSON.stringify(this.status()), this.#lease)
  }

  /** The status this node reports. */
  status(): NodeStatus {
    const applied = this.#facts.applied()
    const rejection = this.#facts.rejection()
    const admin = this.#admin
    return {
      nodeId: this.id,
      hostname: hostname(),
      pid: process.pid,
      version: VERSION,
      startedAt: this.#startedAt,
      updatedAt: new Date().toISOString(),
      listeners: this.#facts.listeners(),
      ...(admin !== undefined ? { admin } : {}),
      appliedVersion: applied.version,
      appliedHash: applied.hash,
      ...(rejection !== undefined ? { lastRejected: rejection } : {}),
    }
  }
}

/** Every live node's status under the store's prefix, by node id. */
export async function listNodes(store: EtcdConfigStore): Promise<NodeStatus[]> {
  const { kvs } = await store.client.range(store.nodesPrefix)
  const out: NodeStatus[] = []
  for (const kv of kvs) {
    try {
      out.push(JSON.parse(kv.value) as NodeStatus)
    } catch {
      // A foreign or half-written value: not a node of ours.
    }
  }
  return out.sort((a, b) => a.nodeId.localeCompare(b.nodeId))
}

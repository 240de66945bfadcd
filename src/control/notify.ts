/**
 * Delivers notifications to `basic.webhook` (spec §11.5): only categories listed in
 * `basic.webhook_notifications` are sent, one at a time, through a bounded queue that drops
 * the oldest entry when full, so a slow or dead receiver never blocks traffic or grows memory.
 */
import type { BasicConf } from '../config/types.ts'
import { logger } from '../core/logger.ts'
import {
  NOTIFICATION_CATEGORIES,
  setNotificationSink,
  type Notification,
  type NotificationCategory,
} from '../core/notifications.ts'
import { postWebhook, webhookPayload, webhookType, type WebhookType } from './notify-webhook.ts'

const log = logger.child({ module: 'notify' })

/** Pingap's webhook timeout. */
export const WEBHOOK_TIMEOUT_MS = 30_000
/** Notifications waiting for delivery before the oldest is dropped. */
export const QUEUE_LIMIT = 100

interface Target {
  readonly url: string
  readonly type: WebhookType
  readonly name: string
  readonly categories: ReadonlySet<NotificationCategory>
}

export interface NotifierOptions {
  readonly timeoutMs?: number
  readonly queueLimit?: number
  /** Sends one payload (tests may replace it); defaults to a JSON POST. */
  readonly post?: (url: string, payload: unknown, timeoutMs: number) => Promise<void>
}

/** Reads the webhook settings of `basic`; undefined when no webhook or no category is set. */
export function webhookTarget(basic: BasicConf): Target | undefined {
  const url = basic.webhook?.trim() ?? ''
  const categories = new Set<NotificationCategory>()
  for (const c of basic.webhook_notifications ?? []) {
    const category = c.trim().toLowerCase() as NotificationCategory
    if (NOTIFICATION_CATEGORIES.includes(category)) categories.add(category)
    else log.warn('unknown webhook notification category ignored', { category: c })
  }
  if (url === '' || categories.size === 0) return undefined
  return { url, type: webhookType(basic.webhook_type), name: basic.name ?? 'pingap', categories }
}

export class Notifier {
  readonly #timeoutMs: number
  readonly #limit: number
  readonly #post: (url: string, payload: unknown, timeoutMs: number) => Promise<void>
  #target: Target | undefined
  readonly #queue: Array<{ target: Target; n: Notification }> = []
  #sending: Promise<void> | undefined
  #dropped = 0
  #failing = false

  constructor(options: NotifierOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS
    this.#limit = options.queueLimit ?? QUEUE_LIMIT
    this.#post = options.post ?? postWebhook
  }

  /** Applies `basic.webhook*` of the version being served. */
  configure(basic: BasicConf): void {
    this.#target = webhookTarget(basic)
  }

  /** Makes this notifier the process's notification sink (core/notifications.ts). */
  install(): void {
    setNotificationSink((n) => this.notify(n))
  }

  /** True when `category` is delivered, so callers can skip building a message nobody gets. */
  wants(category: NotificationCategory): boolean {
    return this.#target?.categories.has(category) === true
  }

  /** Queues `n` when its category is enabled; never blocks, never throws. */
  notify(n: Notification): void {
    const target = this.#target
    if (target === undefined || !target.categories.has(n.category)) return
    if (this.#queue.length >= this.#limit) {
      this.#queue.shift()
      if (this.#dropped++ === 0) log.warn('webhook queue full, dropping the oldest notifications')
    }
    this.#queue.push({ target, n })
    this.#sending ??= this.#drain().finally(() => (this.#sending = undefined))
  }

  /** Notifications dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped
  }

  async #drain(): Promise<void> {
    for (let item = this.#queue.shift(); item !== undefined; item = this.#queue.shift()) {
      const { target, n } = item
      try {
        await this.#post(target.url, webhookPayload(target.type, target.name, n), this.#timeoutMs)
        if (this.#failing) log.info('webhook delivery recovered', { url: target.url })
        this.#failing = false
      } catch (err) {
        if (!this.#failing) log.warn('webhook delivery failed', { url: target.url, err })
        this.#failing = true
      }
    }
  }

  /** Waits for queued notifications up to `timeoutMs` (shutdown), then detaches the sink. */
  async close(timeoutMs = 2_000): Promise<void> {
    setNotificationSink(undefined)
    const sending = this.#sending
    if (sending === undefined) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      sending,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ])
    clearTimeout(timer)
  }
}

/**
 * The notification bus: any layer (upstream discovery, TLS, ACME, cluster) reports an event
 * an operator should hear about with `emitNotification()`, without importing the control
 * plane; the control plane installs the sink that filters and delivers them (webhooks, spec
 * §11.5). Emitting never blocks and never throws.
 */

/** Pingap's notification categories (`basic.webhook_notifications`). */
export const NOTIFICATION_CATEGORIES = [
  'backend_status',
  'upstream_status',
  'service_discover_fail',
  'tls_validity',
  'parse_certificate_fail',
  'lets_encrypt',
  'diff_config',
  'reload_config',
  'reload_config_fail',
  'restart',
  'restart_fail',
] as const

export type NotificationCategory = (typeof NOTIFICATION_CATEGORIES)[number]

export interface Notification {
  readonly category: NotificationCategory
  readonly level: 'info' | 'warn' | 'error'
  readonly message: string
}

type Sink = (notification: Notification) => void

let sink: Sink | undefined

/** Installs the process's sink (the control plane's notifier); undefined removes it. */
export function setNotificationSink(next: Sink | undefined): void {
  sink = next
}

/** Reports an event; a no-op until a sink is installed. */
export function emitNotification(notification: Notification): void {
  try {
    sink?.(notification)
  } catch {
    // A broken sink must never break the code that reports an event.
  }
}

/**
 * Webhook payloads and delivery (spec §11.5): `wecom` and `dingtalk` get their markdown
 * message shapes, anything else a generic JSON object. One POST with a timeout, no retry.
 */
import { hostname, networkInterfaces } from 'node:os'
import type { Notification } from '../core/notifications.ts'

/** How `basic.webhook_type` shapes the body. */
export type WebhookType = 'normal' | 'wecom' | 'dingtalk'

/** Longest message sent; chat webhooks reject larger bodies (WeCom: 4096 bytes). */
export const MAX_MESSAGE_CHARS = 3_500

/** Maps `webhook_type` to a payload shape (unknown values are generic, as Pingap). */
export function webhookType(value: string | undefined): WebhookType {
  const v = value?.trim().toLowerCase()
  return v === 'wecom' || v === 'dingtalk' ? v : 'normal'
}

/** This host's non-loopback addresses, `;`-joined (the generic payload's `ip`). */
export function localAddresses(): string {
  const out: string[] = []
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) if (!info.internal) out.push(info.address)
  }
  return out.join(';')
}

function clip(text: string): string {
  return text.length <= MAX_MESSAGE_CHARS ? text : `${text.slice(0, MAX_MESSAGE_CHARS)}…`
}

/** The JSON body for one notification. */
export function webhookPayload(
  type: WebhookType,
  name: string,
  n: Notification,
  host = hostname(),
  ip = localAddresses(),
): Record<string, unknown> {
  const message = clip(n.message)
  if (type === 'normal') {
    return { name, level: n.level, hostname: host, ip, category: n.category, message }
  }
  const text = [
    `### ${name}: ${n.category}`,
    `> level: ${n.level}`,
    `> hostname: ${host}`,
    `> ip: ${ip}`,
    '',
    message,
  ].join('\n')
  if (type === 'wecom') return { msgtype: 'markdown', markdown: { content: text } }
  return { msgtype: 'markdown', markdown: { title: n.category, text } }
}

/** POSTs `payload` as JSON; rejects on a network error, a timeout or a non-2xx answer. */
export async function postWebhook(url: string, payload: unknown, timeoutMs: number): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(payload),
    signal: AbortSignal.timeout(timeoutMs),
  })
  await res.arrayBuffer().catch(() => undefined)
  if (res.status < 200 || res.status >= 300) throw new Error(`webhook answered ${res.status}`)
}

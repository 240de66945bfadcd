/**
 * DNS-01 providers (spec §11.2). `manual` logs the TXT record to create, keeps it in the config
 * store (`[storages.acme_dns_<certificate>_<n>]`) until the order ends, and waits until the record
 * resolves. Other providers plug in with registerDnsProvider(): a provider only has to create and
 * delete one TXT record (docs/acme.md, "DNS providers").
 */
import { Resolver } from 'node:dns/promises'
import { setTimeout as delay } from 'node:timers/promises'
import { ConfigError } from '../core/errors.ts'
import { logger } from '../core/logger.ts'
import type { AcmeSettings } from '../tls/index.ts'

const log = logger.child({ module: 'acme' })

/** The remark of a kept manual DNS-01 record. */
export const DNS_RECORD_REMARK = 'acme dns-01 record'

/** One `_acme-challenge` TXT record. */
export interface DnsRecord {
  /** `_acme-challenge.example.com` (no trailing dot). */
  readonly name: string
  readonly value: string
  /** The `[certificates.<name>]` item being ordered. */
  readonly certificate: string
}

/** Creates and deletes the TXT records of one order. */
export interface DnsProvider {
  present(record: DnsRecord): Promise<void>
  cleanup(record: DnsRecord): Promise<void>
}

/** What a provider may use besides the certificate's settings. */
export interface DnsProviderContext {
  /** Writes (or with undefined deletes) a `[storages.<name>]` item and applies it. */
  readonly saveStorage: (name: string, item: Record<string, unknown> | undefined) => Promise<void>
  /** How long to wait for a manual record to resolve before asking the CA anyway. */
  readonly propagationTimeoutMs?: number
  readonly pollIntervalMs?: number
}

export type DnsProviderFactory = (
  settings: AcmeSettings,
  context: DnsProviderContext,
) => DnsProvider

/** Provider names Pingap knows; pingap-ts does not implement their APIs (yet). */
const PINGAP_PROVIDERS = ['ali', 'aliyun', 'cf', 'cloudflare', 'tencent', 'huawei']

const providers = new Map<string, DnsProviderFactory>([['manual', manualProvider]])

/** Adds (or replaces) a DNS-01 provider under `name` (lower case). */
export function registerDnsProvider(name: string, factory: DnsProviderFactory): void {
  providers.set(name.toLowerCase(), factory)
}

/** The provider `settings` names; a ConfigError for a name nobody registered. */
export function dnsProvider(
  name: string,
  settings: AcmeSettings,
  context: DnsProviderContext,
): DnsProvider {
  const factory = providers.get(settings.dnsProvider)
  if (factory !== undefined) return factory(settings, context)
  const why = PINGAP_PROVIDERS.includes(settings.dnsProvider)
    ? `the ${settings.dnsProvider} DNS API is not built into pingap-ts; use "manual" or register a provider`
    : `unknown DNS provider "${settings.dnsProvider}"`
  throw new ConfigError('PGT_ERR_CONFIG_INVALID', `certificates.${name}.dns_provider`, [why])
}

/** `dns://127.0.0.1:8053,10.0.0.2` → resolver addresses; undefined = the system resolver. */
export function resolverServers(url: string | undefined): string[] | undefined {
  if (url === undefined || !url.startsWith('dns://')) return undefined
  const list = url
    .slice('dns://'.length)
    .split(',')
    .map((s) => s.trim().replace(/\/.*$/, ''))
    .filter((s) => s !== '')
  return list.length > 0 ? list : undefined
}

async function resolves(resolver: Resolver, record: DnsRecord): Promise<boolean> {
  try {
    const answers = await resolver.resolveTxt(record.name)
    return answers.some((parts) => parts.join('') === record.value)
  } catch {
    return false
  }
}

function storageName(record: DnsRecord): string {
  const label = record.name.replace(/[^A-Za-z0-9_-]/g, '_')
  return `acme_dns_${record.certificate}_${label}`.slice(0, 200)
}

/**
 * The `manual` provider: the record is logged and kept in the store; the order waits until a
 * resolver (the system's, or those of `dns_service_url = "dns://ip[:port],…"`) returns it.
 */
function manualProvider(settings: AcmeSettings, context: DnsProviderContext): DnsProvider {
  const resolver = new Resolver({ timeout: 2_000, tries: 1 })
  const servers = resolverServers(settings.dnsServiceUrl)
  if (servers !== undefined) resolver.setServers(servers)
  const timeoutMs = context.propagationTimeoutMs ?? 120_000
  const everyMs = context.pollIntervalMs ?? 2_000
  return {
    async present(record) {
      log.warn('create this DNS record to complete the ACME DNS-01 challenge', {
        certificate: record.certificate,
        record: `${record.name}. TXT "${record.value}"`,
      })
      await context.saveStorage(storageName(record), {
        value: `${record.name}. TXT "${record.value}"`,
        remark: DNS_RECORD_REMARK,
        created_at: Math.floor(Date.now() / 1000),
      })
      const deadline = Date.now() + timeoutMs
      while (!(await resolves(resolver, record))) {
        if (Date.now() > deadline) {
          log.warn('the DNS record is not visible yet; asking the CA anyway', {
            record: record.name,
          })
          return
        }
        await delay(everyMs)
      }
      log.info('the DNS record resolves', { record: record.name })
    },
    async cleanup(record) {
      await context.saveStorage(storageName(record), undefined)
      log.info('the DNS record can be deleted now', { record: `${record.name}. TXT` })
    },
  }
}

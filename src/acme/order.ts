/**
 * Orders one certificate from an RFC 8555 CA with acme-client (spec §11.2): a fresh account
 * (terms agreed, no contact, as Pingap), the sorted domains, HTTP-01 or DNS-01, and a new
 * ECDSA P-256 key. acme-client (and axios) load on the first order only.
 */
import type * as Acme from 'acme-client'
import type { AcmeSettings } from '../tls/index.ts'
import { logger } from '../core/logger.ts'
import { allowNonceRetries, checkDirectory, clearOrderError } from './client-guards.ts'
import type { DnsProvider } from './dns.ts'

const log = logger.child({ module: 'acme' })

type AcmeModule = typeof Acme
let acmeModule: Promise<AcmeModule> | undefined

function loadAcme(): Promise<AcmeModule> {
  // A CommonJS package: its exports are the default export of the ES module.
  const loaded = acmeModule ?? import('acme-client').then((m) => m.default as AcmeModule)
  acmeModule = loaded
  return loaded
}

/** Publishes and withdraws HTTP-01 key authorizations (in the config store). */
export interface Http01Publisher {
  present(token: string, keyAuthorization: string): Promise<void>
  cleanup(token: string): Promise<void>
}

/** What an order needs besides the settings. */
export interface OrderContext {
  readonly name: string
  readonly http01: Http01Publisher
  /** Required for DNS-01. */
  readonly dns?: DnsProvider
}

/** The PEM texts an order produced: the chain (leaf first) and its private key. */
export interface IssuedCertificate {
  readonly cert: string
  readonly key: string
}

/** Runs one order to the end; throws on any failure (the caller backs off). */
export async function orderCertificate(
  settings: AcmeSettings,
  context: OrderContext,
): Promise<IssuedCertificate> {
  await checkDirectory(settings.directoryUrl)
  const acme = await loadAcme()
  const client = new acme.Client({
    directoryUrl: settings.directoryUrl,
    accountKey: await acme.crypto.createPrivateEcdsaKey(),
    backoffMin: 500,
    backoffMax: 10_000,
  })
  allowNonceRetries(client)
  const [key, csr] = await acme.crypto.createCsr(
    { commonName: settings.domains[0] ?? '', altNames: [...settings.domains] },
    await acme.crypto.createPrivateEcdsaKey(),
  )
  const dnsRecord = (identifier: string, value: string) => ({
    name: `_acme-challenge.${identifier.replace(/^\*\./, '')}`,
    value,
    certificate: context.name,
  })
  log.info('ordering a certificate', {
    certificate: context.name,
    domains: settings.domains,
    challenge: settings.challenge,
    directory: settings.directoryUrl,
  })
  const cert = await client
    .auto({
      csr,
      termsOfServiceAgreed: true,
      // acme-client would fetch the challenge itself first, which fails behind NAT and offline.
      skipChallengeVerification: true,
      challengePriority: [settings.challenge],
      challengeCreateFn: async (authz, challenge, keyAuthorization) => {
        if (challenge.type === 'http-01') {
          await context.http01.present(challenge.token, keyAuthorization)
        } else if (challenge.type === 'dns-01' && context.dns !== undefined) {
          await context.dns.present(dnsRecord(authz.identifier.value, keyAuthorization))
        } else {
          throw new Error(`cannot answer a ${challenge.type} challenge`)
        }
      },
      challengeRemoveFn: async (authz, challenge, keyAuthorization) => {
        if (challenge.type === 'http-01') await context.http01.cleanup(challenge.token)
        else if (challenge.type === 'dns-01' && context.dns !== undefined) {
          await context.dns.cleanup(dnsRecord(authz.identifier.value, keyAuthorization))
        }
      },
    })
    .catch((err: unknown) => {
      throw clearOrderError(err)
    })
  return { cert, key: key.toString() }
}

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { backoffMs, renewalReason } from '../../../src/acme/renewal.ts'
import { acmeSettings, loadCertificate, type AcmeSettings } from '../../../src/tls/index.ts'
import { makeCert } from '../../helpers/certs.ts'

const DAY = 86_400_000

test('renewalReason: missing, changed domains, inside the window, fine', async () => {
  const now = Date.now()
  const settings = (domains: string, buffer?: number): AcmeSettings =>
    acmeSettings('web', {
      acme: 'lets_encrypt',
      domains,
      ...(buffer !== undefined ? { buffer_days: buffer } : {}),
    })!
  const cert = async (dns: string[], days: number, lifetimeDays = 90) => {
    const c = await makeCert({
      dns,
      notBefore: new Date(now + days * DAY - lifetimeDays * DAY),
      notAfter: new Date(now + days * DAY),
    })
    return loadCertificate('web', { tls_cert: c.cert, tls_key: c.key })
  }
  const fresh = await cert(['a.test', 'b.test'], 60)
  const cases: Array<
    [string, AcmeSettings, Awaited<ReturnType<typeof cert>> | undefined, RegExp | undefined]
  > = [
    ['no certificate', settings('a.test'), undefined, /no certificate/],
    ['fresh, same domains in another order', settings('b.test,a.test'), fresh, undefined],
    ['a domain added', settings('a.test,b.test,c.test'), fresh, /domain list changed/],
    [
      'one day left (default window 2 days)',
      settings('a.test'),
      await cert(['a.test'], 1),
      /expires in 0 days/,
    ],
    [
      'ten days left, buffer_days = 30',
      settings('a.test', 30),
      await cert(['a.test'], 10),
      /expires/,
    ],
    ['ten days left, default window', settings('a.test'), await cert(['a.test'], 10), undefined],
    [
      'buffer longer than the lifetime: waits for a third',
      settings('a.test', 365),
      await cert(['a.test'], 80),
      undefined,
    ],
    [
      'buffer longer than the lifetime, a third left',
      settings('a.test', 365),
      await cert(['a.test'], 20),
      /expires/,
    ],
  ]
  for (const [name, s, c, want] of cases) {
    const got = renewalReason(s, c, now)
    if (want === undefined) assert.equal(got, undefined, name)
    else assert.match(got ?? '', want, name)
  }
})

test('backoffMs doubles from one minute up to one hour', () => {
  assert.deepEqual(
    [1, 2, 3, 7, 20].map(backoffMs),
    [60_000, 120_000, 240_000, 3_600_000, 3_600_000],
  )
})

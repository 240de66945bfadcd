import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AcmeScheduler } from '../../../src/acme/scheduler.ts'
import { MemoryConfigStore } from '../../../src/config/memory-store.ts'
import { parseConfig } from '../../../src/config/parse.ts'
import { setNotificationSink, type Notification } from '../../../src/core/notifications.ts'
import type { PingapConfig } from '../../../src/config/types.ts'
import { buildSniStore, type AcmeSettings, type SniStore } from '../../../src/tls/index.ts'
import { makeCert } from '../../helpers/certs.ts'

interface Harness {
  readonly store: MemoryConfigStore
  scheduler: AcmeScheduler
  config: PingapConfig
  certificates: SniStore
  readonly orders: AcmeSettings[]
  now: number
  fail: boolean
  reloads: number
}

async function harness(toml: string): Promise<Harness> {
  const store = new MemoryConfigStore({ 'pingap.toml': toml })
  const h: Harness = {
    store,
    scheduler: undefined as unknown as AcmeScheduler,
    config: parseConfig(await store.load()),
    certificates: undefined as unknown as SniStore,
    orders: [],
    now: Date.now(),
    fail: false,
    reloads: 0,
  }
  h.certificates = buildSniStore(h.config.certificates)
  h.scheduler = new AcmeScheduler({
    store,
    config: () => h.config,
    certificates: () => h.certificates,
    reload: async () => {
      h.reloads++
      h.config = parseConfig(await store.load())
      h.certificates = buildSniStore(h.config.certificates, h.certificates)
    },
    now: () => h.now,
    order: async (settings, context) => {
      h.orders.push(settings)
      await context.http01.present('tok', 'tok.thumb')
      assert.equal(
        h.config.storages['tok']?.value,
        'tok.thumb',
        'token published before the CA looks',
      )
      await context.http01.cleanup('tok')
      if (h.fail) throw new Error('CA unreachable')
      const c = await makeCert({ dns: [...settings.domains] })
      return { cert: c.cert, key: c.key }
    },
  })
  return h
}

test('a missing certificate is ordered, stored back and not ordered again', async () => {
  const h = await harness('[certificates.web]\nacme = "lets_encrypt"\ndomains = "a.test,b.test"\n')
  await h.scheduler.run()
  assert.equal(h.orders.length, 1)
  assert.deepEqual(h.orders[0]?.domains, ['a.test', 'b.test'])
  assert.match(h.config.certificates['web']?.tls_cert ?? '', /BEGIN CERTIFICATE/)
  assert.equal(h.config.certificates['web']?.acme, 'lets_encrypt', 'the item keeps its keys')
  assert.equal(h.config.storages['tok'], undefined, 'the token is gone')
  assert.equal(h.certificates.lookup('b.test')?.name, 'web')
  await h.scheduler.run()
  assert.equal(h.orders.length, 1)
  // A domain added to the item means a new order.
  const item = { ...h.config.certificates['web'], domains: 'a.test,b.test,c.test' }
  await h.store.save('certificates', 'web', item)
  h.config = parseConfig(await h.store.load())
  await h.scheduler.run()
  assert.equal(h.orders.length, 2)
  h.scheduler.stop()
})

test('a failed order backs off instead of retrying at once', async () => {
  const h = await harness('[certificates.web]\nacme = "lets_encrypt"\ndomains = "a.test"\n')
  const sent: Notification[] = []
  setNotificationSink((n) => sent.push(n))
  try {
    h.fail = true
    await h.scheduler.run()
    await h.scheduler.run()
    assert.equal(h.orders.length, 1, 'no retry within the back-off')
    h.now += 61_000
    await h.scheduler.run()
    assert.equal(h.orders.length, 2, 'retried after a minute')
    await h.scheduler.run()
    assert.equal(h.orders.length, 2, 'the second back-off is two minutes')
    h.fail = false
    h.now += 121_000
    await h.scheduler.run()
    assert.equal(h.orders.length, 3)
    assert.match(h.config.certificates['web']?.tls_cert ?? '', /BEGIN CERTIFICATE/)
    // Every order's outcome is a lets_encrypt notification: two failures, then the success.
    assert.deepEqual(
      sent.map((n) => [n.category, n.level]),
      [
        ['lets_encrypt', 'error'],
        ['lets_encrypt', 'error'],
        ['lets_encrypt', 'info'],
      ],
    )
    assert.equal(
      sent[0]?.message,
      'certificate web: ACME order failed once (CA unreachable); no certificate yet; next try in 1 min',
    )
    assert.match(sent[1]?.message ?? '', /failed 2 times in a row .*next try in 2 min$/)
    assert.equal(
      sent[2]?.message,
      'certificate web: new certificate for a.test installed (reason: no certificate yet)',
    )
  } finally {
    setNotificationSink(undefined)
    h.scheduler.stop()
  }
})

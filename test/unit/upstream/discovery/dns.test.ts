import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  DnsDiscovery,
  invalidDnsServer,
  nextDelay,
  type DnsOptions,
  type ResolvedHosts,
} from '../../../../src/upstream/discovery/dns.ts'
import { eventually } from '../fixtures.ts'
import { startDnsStub, type DnsStub } from './dns-stub.ts'

let stub: DnsStub
before(async () => {
  stub = await startDnsStub()
})
after(async () => {
  await stub.close()
})

const options = (overrides: Partial<DnsOptions> = {}): DnsOptions => ({
  servers: [stub.server],
  search: [],
  ipv4Only: true,
  updateFrequencyMs: 60_000,
  ...overrides,
})

test('nextDelay: the shortest TTL clamped to [5 s, 300 s], never beyond update_frequency', () => {
  const cases = [
    { ttl: 30_000, failed: false, freq: 60_000, want: 30_000 },
    { ttl: 1000, failed: false, freq: 60_000, want: 5000 },
    { ttl: 3_600_000, failed: false, freq: 600_000, want: 300_000 },
    { ttl: 30_000, failed: false, freq: 10_000, want: 10_000 },
    { ttl: Infinity, failed: false, freq: 60_000, want: 60_000 },
    { ttl: Infinity, failed: true, freq: 60_000, want: 5000 },
    { ttl: Infinity, failed: true, freq: 1000, want: 1000 },
  ]
  for (const { ttl, failed, freq, want } of cases) {
    assert.equal(nextDelay(ttl, failed, freq), want, JSON.stringify({ ttl, failed, freq }))
  }
})

test('invalidDnsServer accepts ip and ip:port, names the first bad entry', () => {
  assert.equal(invalidDnsServer(['1.1.1.1', '8.8.8.8:53', '::1', '[::1]:53']), undefined)
  assert.equal(invalidDnsServer(['1.1.1.1', 'dns.example']), 'dns.example')
  assert.equal(invalidDnsServer(['[dns]:53']), '[dns]:53')
})

test('discovery resolves through dns_server, follows changes and schedules by TTL', async () => {
  stub.records.set('app.test', { ips: ['10.0.0.2', '10.0.0.1'], ttl: 7 })
  const changes: ResolvedHosts[] = []
  const dns = new DnsDiscovery(['app.test'], options(), (r) => changes.push(r))
  assert.equal(await dns.refresh(), 7000)
  assert.deepEqual(dns.resolved.get('app.test'), ['10.0.0.1', '10.0.0.2'])
  assert.equal(changes.length, 1)

  // Same answer: no change reported.
  await dns.refresh()
  assert.equal(changes.length, 1)

  stub.records.set('app.test', { ips: ['10.0.0.3'], ttl: 100 })
  assert.equal(await dns.refresh(), 60_000)
  assert.deepEqual(dns.resolved.get('app.test'), ['10.0.0.3'])
  assert.equal(changes.length, 2)
})

test('a failing resolution keeps the old addresses', async () => {
  const seed = new Map([['gone.test', ['10.9.9.9']]])
  const changes: ResolvedHosts[] = []
  const dns = new DnsDiscovery(['gone.test'], options(), (r) => changes.push(r), seed)
  assert.equal(await dns.refresh(), 5000)
  assert.deepEqual(dns.resolved.get('gone.test'), ['10.9.9.9'])
  assert.equal(changes.length, 0)
})

test('one failing name keeps its addresses while the others update', async () => {
  stub.records.set('ok.test', { ips: ['10.0.1.1'], ttl: 60 })
  const seed = new Map([['gone.test', ['10.9.9.9']]])
  const dns = new DnsDiscovery(['ok.test', 'gone.test'], options(), () => undefined, seed)
  await dns.refresh()
  assert.deepEqual(dns.resolved.get('ok.test'), ['10.0.1.1'])
  assert.deepEqual(dns.resolved.get('gone.test'), ['10.9.9.9'])
})

test('dns_search suffixes are tried for a name that does not resolve as is', async () => {
  stub.records.set('svc.corp.test', { ips: ['10.0.2.1'], ttl: 60 })
  const dns = new DnsDiscovery(
    ['svc'],
    options({ search: ['other.test', 'corp.test'] }),
    () => undefined,
  )
  await dns.refresh()
  assert.deepEqual(dns.resolved.get('svc'), ['10.0.2.1'])
})

test('with the system resolver, localhost resolves without network (getaddrinfo fallback)', async () => {
  const dns = new DnsDiscovery(['localhost'], options({ servers: undefined }), () => undefined)
  await dns.refresh()
  assert.ok(dns.resolved.get('localhost')?.includes('127.0.0.1'))
})

test('start() resolves at once and stop() ends the schedule', async () => {
  stub.records.set('start.test', { ips: ['10.0.3.1'], ttl: 5 })
  let changed = 0
  const dns = new DnsDiscovery(['start.test'], options(), () => changed++)
  dns.start()
  await eventually(() => assert.equal(changed, 1))
  dns.stop()
  assert.deepEqual(dns.resolved.get('start.test'), ['10.0.3.1'])
})

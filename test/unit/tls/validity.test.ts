import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setNotificationSink, type Notification } from '../../../src/core/notifications.ts'
import { loadCertificate } from '../../../src/tls/certificate.ts'
import { validityProblems, ValidityMonitor } from '../../../src/tls/validity.ts'
import { makeCert } from '../../helpers/certs.ts'

const DAY = 86_400_000

test('validityProblems reports expired, expiring and not-yet-valid certificates', async () => {
  const now = Date.now()
  const make = async (name: string, notBefore: number, notAfter: number, buffer?: number) => {
    const c = await makeCert({
      dns: [`${name}.test`],
      notBefore: new Date(notBefore),
      notAfter: new Date(notAfter),
    })
    return loadCertificate(name, {
      tls_cert: c.cert,
      tls_key: c.key,
      ...(buffer !== undefined ? { buffer_days: buffer } : {}),
    })
  }
  const certs = [
    await make('expired', Date.UTC(2019, 0, 1), Date.UTC(2020, 0, 2)),
    await make('soon', now - DAY, now + 3 * DAY),
    await make('fine', now - DAY, now + 60 * DAY),
    await make('buffered', now - DAY, now + 20 * DAY, 30),
    await make('future', now + 2 * DAY, now + 60 * DAY),
  ]
  const got = validityProblems(certs, now).map((p) => [p.name, p.state])
  assert.deepEqual(got, [
    ['expired', 'expired'],
    ['soon', 'expiring'],
    ['buffered', 'expiring'],
    ['future', 'not-yet-valid'],
  ])
  const sent: Notification[] = []
  setNotificationSink((n) => sent.push(n))
  try {
    const monitor = new ValidityMonitor(() => certs)
    assert.equal(monitor.checkAll().length, 4)
    assert.equal(monitor.checkNew().length, 0, 'already checked')
    // One notification for the whole check, an error because one certificate has expired.
    assert.equal(sent.length, 1)
    assert.equal(sent[0]?.category, 'tls_validity')
    assert.equal(sent[0]?.level, 'error')
    const lines = sent[0]?.message.split('\n') ?? []
    assert.equal(lines.length, 4)
    assert.equal(lines[0], 'certificate expired expired (2020-01-02T00:00:00.000Z)')
    assert.match(lines[1] ?? '', /^certificate soon expires in 2 days \(/)
    assert.equal(lines[3], 'certificate future is not yet valid')

    const onlyExpiring = new ValidityMonitor(() => certs.slice(1, 3))
    onlyExpiring.checkAll()
    assert.equal(sent.length, 2)
    assert.equal(sent[1]?.level, 'warn', 'nothing has expired yet')
    new ValidityMonitor(() => certs.slice(2, 3)).checkAll()
    assert.equal(sent.length, 2, 'no notification when every certificate is fine')
  } finally {
    setNotificationSink(undefined)
  }
})

import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { RollingLogFile, parseLogTarget, periodEnd, periodOf } from '../../../src/core/log-file.ts'

describe('parseLogTarget', () => {
  const cases: Array<[string | undefined, unknown]> = [
    [undefined, { kind: 'stderr' }],
    ['', { kind: 'stderr' }],
    ['/var/log/p.log', { kind: 'file', path: '/var/log/p.log', rolling: 'daily' }],
    ['/var/log/p.log?rolling=hourly', { kind: 'file', path: '/var/log/p.log', rolling: 'hourly' }],
    ['/l?rolling=never', { kind: 'file', path: '/l', rolling: 'never' }],
    ['syslog://local?format=5424', { kind: 'syslog', url: 'syslog://local?format=5424' }],
  ]
  for (const [input, expected] of cases) {
    test(`reads ${String(input)}`, () => assert.deepEqual(parseLogTarget(input), expected))
  }
  test('rejects an unknown rolling', () => {
    assert.throws(() => parseLogTarget('/l?rolling=weekly'), /rolling "weekly" must be one of/)
  })
})

describe('periods', () => {
  const t = new Date(2026, 0, 31, 23, 59, 30).getTime()
  test('keys by local time', () => {
    assert.equal(periodOf(t, 'daily'), '2026-01-31')
    assert.equal(periodOf(t, 'hourly'), '2026-01-31-23')
    assert.equal(periodOf(t, 'minutely'), '2026-01-31-23-59')
    assert.equal(periodOf(t, 'never'), '')
  })
  test('ends at the next boundary', () => {
    assert.equal(periodEnd(t, 'daily'), new Date(2026, 1, 1).getTime())
    assert.equal(periodEnd(t, 'hourly'), new Date(2026, 1, 1, 0).getTime())
    assert.equal(periodEnd(t, 'minutely'), new Date(2026, 1, 1, 0, 0).getTime())
    assert.equal(periodEnd(t, 'never'), Infinity)
  })
})

describe('RollingLogFile', () => {
  test('moves the file aside when the period ends', () => {
    const dir = mkdtempSync(join(tmpdir(), 'logfile-'))
    try {
      let now = new Date(2026, 4, 1, 10, 0, 0).getTime()
      const path = join(dir, 'app.log')
      const file = new RollingLogFile(path, 'hourly', () => now)
      assert.ok(file.write('one\n'))
      now += 3600_000
      assert.ok(file.write('two\n'))
      file.close()
      assert.deepEqual(readdirSync(dir).sort(), ['app.log', 'app.log.2026-05-01-10'])
      assert.equal(readFileSync(join(dir, 'app.log.2026-05-01-10'), 'utf8'), 'one\n')
      assert.equal(readFileSync(path, 'utf8'), 'two\n')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('a file left from an earlier period is rotated at open', () => {
    const dir = mkdtempSync(join(tmpdir(), 'logfile-'))
    try {
      const path = join(dir, 'app.log')
      writeFileSync(path, 'old\n')
      const then = new Date(2026, 4, 1, 12)
      utimesSync(path, then, then)
      const file = new RollingLogFile(path, 'daily', () => new Date(2026, 4, 2, 8).getTime())
      file.write('new\n')
      file.close()
      assert.equal(readFileSync(join(dir, 'app.log.2026-05-01'), 'utf8'), 'old\n')
      assert.equal(readFileSync(path, 'utf8'), 'new\n')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

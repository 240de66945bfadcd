import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseConfig } from '../../../src/config/parse.ts'
import { AuditLog } from '../../../src/control/audit.ts'
import { HistoryStore } from '../../../src/control/history.ts'
import { VersionLog } from '../../../src/control/versions.ts'

function config(n: number) {
  return parseConfig({
    raw: { upstreams: { u: { addrs: [`127.0.0.1:${n}`] } } },
    sources: new Map(),
  })
}

test('versions persist: numbering and content continue after a restart', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pingap-history-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const first = new VersionLog({ history: new HistoryStore({ dir }) })
  first.record(config(1), 'startup')
  first.expect(config(2).hash, {
    author: { id: 'ann', kind: 'user', ip: '10.0.0.1' },
    source: 'ui',
    message: 'more',
  })
  const v2 = first.record(config(2), 'admin-api')
  assert.equal(v2.source, 'ui')
  assert.equal(v2.author?.id, 'ann')
  assert.equal(readFileSync(join(dir, 'HEAD'), 'utf8'), '2\n')
  assert.equal(statSync(join(dir, 'versions', '00000002.json')).mode & 0o777, 0o600)

  const second = new VersionLog({ history: new HistoryStore({ dir }) })
  assert.equal(second.current?.number, 2)
  assert.equal(second.numberFor(config(2)), 2, 'same content keeps its number')
  assert.equal(second.record(config(2), 'startup').number, 2)
  assert.equal(second.record(config(3), 'file-change').number, 3)
  assert.deepEqual(
    second.metas().map((m) => m.number),
    [3, 2, 1],
  )
  assert.equal(second.get(1)?.config.upstreams['u']?.addrs[0], '127.0.0.1:1')
  assert.equal(second.get(3)?.author?.kind, 'file')
})

test('retention keeps the newest versions and never the current one out', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pingap-history-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const log = new VersionLog({ history: new HistoryStore({ dir, maxVersions: 3, minKeep: 1 }) })
  for (let n = 1; n <= 6; n++) log.record(config(n), 'file-change')
  assert.deepEqual(
    log.metas().map((m) => m.number),
    [6, 5, 4],
  )
  assert.equal(readdirSync(join(dir, 'versions')).length, 6, 'three versions, two files each')
  assert.equal(log.get(2), undefined)
})

test('the audit log appends JSON lines and filters them', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pingap-audit-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const audit = new AuditLog({ dir })
  audit.append({ actor: 'ann', actorKind: 'user', action: 'auth.login', result: 'ok' })
  audit.append({
    actor: 'bob',
    actorKind: 'user',
    action: 'config.publish',
    result: 'ok',
    version: 2,
  })
  audit.append({ actor: 'ann', actorKind: 'user', action: 'config.rejected', result: 'rejected' })
  const files = readdirSync(dir)
  assert.equal(files.length, 1)
  assert.equal(
    readFileSync(join(dir, files[0] as string), 'utf8')
      .trim()
      .split('\n').length,
    3,
  )
  const again = new AuditLog({ dir })
  assert.deepEqual(
    again.query().map((e) => e.action),
    ['config.rejected', 'config.publish', 'auth.login'],
  )
  assert.deepEqual(
    again.query({ actor: 'ann', action: 'config.' }).map((e) => e.action),
    ['config.rejected'],
  )
  assert.equal(again.query({ limit: 1 }).length, 1)
  assert.equal(again.query({ since: '2999-01-01' }).length, 0)
})

/**
 * The hostile suite (reliability/hostile-catalogue.md §3, §6): one pingap-ts process with short
 * limits, a recording and a misbehaving upstream, one test per catalogue row that applies to
 * the features built so far, a canary after every check, and at the end the proxy's open FDs
 * and RSS compared with the baseline. Rows that need other processes (config abuse, FD
 * exhaustion) start their own.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { groupA } from './groups/a-framing.ts'
import { groupB } from './groups/b-target.ts'
import { groupC } from './groups/c-limits.ts'
import { groupD } from './groups/d-slow.ts'
import { groupE } from './groups/e-upstream.ts'
import { groupF } from './groups/f-headers.ts'
import { groupG } from './groups/g-paths.ts'
import { groupHAdmin } from './groups/h-admin.ts'
import { groupH } from './groups/h-config.ts'
import { groupI } from './groups/i-plugins.ts'
import { groupJ } from './groups/j-websocket.ts'
import { groupK } from './groups/k-http2.ts'
import { groupL } from './groups/l-tls.ts'
import { groupM } from './groups/m-resources.ts'
import { canary, fdsSettle, rssSettle, startEnv, type HostileEnv } from './helpers/env.ts'
import { fdCount } from './helpers/proxy.ts'
import { summary } from './helpers/tally.ts'

let env: HostileEnv | undefined
const current = (): HostileEnv => {
  if (env === undefined) throw new Error('hostile environment not started')
  return env
}

describe('hostile suite', () => {
  before(async () => {
    env = await startEnv()
  })
  after(async () => {
    process.stdout.write(`${summary()}\n`)
    await env?.close()
  })

  groupA(current)
  groupB(current)
  groupC(current)
  groupD(current)
  groupE(current)
  groupF(current)
  groupG(current)
  groupH(current)
  groupHAdmin(current)
  groupI(current)
  groupJ(current)
  groupK(current)
  groupL(current)
  groupM(current)

  test('the proxy never exited, and FDs and RSS are back near the baseline', async () => {
    const e = current()
    const last = e.proxy.logs
      .slice(-30)
      .map((l) => JSON.stringify(l))
      .join('\n')
    assert.ok(e.proxy.alive(), `the proxy process exited during the suite:\n${last}`)
    await canary(e)
    const fds = await fdsSettle(e, 10, 15_000)
    const rss = await rssSettle(e, 50, 20_000)
    process.stdout.write(
      `resources: fds ${e.baseline.fds} → ${fds} (${fdCount(e.proxy.pid)}), ` +
        `rss ${e.baseline.rssMb.toFixed(1)} → ${rss.toFixed(1)} MB\n`,
    )
  })
})

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { processStats, traffic } from '../../../src/core/process-stats.ts'

describe('processStats', () => {
  test('reports the traffic counters and the process figures', () => {
    traffic.connections += 2
    try {
      const s = processStats()
      assert.equal(s.connections, traffic.connections)
      assert.ok(s.rss > 0 && s.heap_used > 0 && s.heap_total >= s.heap_used)
      assert.ok(s.event_loop_utilization >= 0 && s.event_loop_utilization <= 1)
      assert.ok(s.active_handles >= 0)
      if (process.platform === 'linux') assert.ok((s.fd_count ?? 0) > 2)
    } finally {
      traffic.connections -= 2
    }
  })
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { humanBytes, humanLatency, localTimestamp } from '../../../src/core/format.ts'

test('humanBytes uses decimal units with one decimal, .0 dropped', () => {
  const cases: Array<[number, string]> = [
    [0, '0B'],
    [5, '5B'],
    [512, '512B'],
    [999, '999B'],
    [1000, '1KB'],
    [1024, '1KB'],
    [1124, '1.1KB'],
    [1500, '1.5KB'],
    [999_000, '999KB'],
    [1_200_000, '1.2MB'],
    [1_000_000_000, '1GB'],
    [2_500_000_000, '2.5GB'],
  ]
  for (const [input, expected] of cases) assert.equal(humanBytes(input), expected, `${input}`)
})

test('humanLatency picks ms, s, m or h', () => {
  const cases: Array<[number, string]> = [
    [0, '0ms'],
    [3.7, '3ms'],
    [512, '512ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1100, '1.1s'],
    [59_000, '59s'],
    [108_000, '1.8m'],
    [5_400_000, '1.5h'],
  ]
  for (const [input, expected] of cases) assert.equal(humanLatency(input), expected, `${input}`)
})

test('localTimestamp is RFC 3339 with millis and an offset, naming the same instant', () => {
  for (const ms of [0, 1_735_787_045_678, 1_735_787_045_001, 1_735_787_046_999]) {
    const text = localTimestamp(ms)
    assert.match(text, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/)
    assert.equal(Date.parse(text), ms, text)
  }
})

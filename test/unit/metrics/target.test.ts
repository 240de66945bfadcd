import assert from 'node:assert/strict'
import { hostname } from 'node:os'
import { describe, test } from 'node:test'
import { ConfigError } from '../../../src/core/errors.ts'
import { parsePrometheusTarget, pullPath } from '../../../src/metrics/target.ts'

const PATH = 'servers.web.prometheus_metrics'

describe('parsePrometheusTarget', () => {
  const valid: Array<[string | undefined, unknown]> = [
    [undefined, undefined],
    ['', undefined],
    ['  ', undefined],
    ['/metrics', { kind: 'pull', path: '/metrics' }],
    [
      'http://gw:9091/metrics/job/pingap',
      {
        kind: 'push',
        url: 'http://gw:9091/metrics/job/pingap',
        intervalMs: 60_000,
        authorization: undefined,
      },
    ],
    [
      'https://user:p%40ss@gw/metrics/job/x?interval=30s',
      {
        kind: 'push',
        url: 'https://gw/metrics/job/x',
        intervalMs: 30_000,
        authorization: `Basic ${Buffer.from('user:p@ss').toString('base64')}`,
      },
    ],
    [
      'http://gw/metrics/job/x/instance/$hostname?interval=2s&a=b',
      {
        kind: 'push',
        url: `http://gw/metrics/job/x/instance/${hostname()}?a=b`,
        intervalMs: 2_000,
        authorization: undefined,
      },
    ],
  ]
  for (const [input, expected] of valid) {
    test(`accepts ${JSON.stringify(input)}`, () => {
      assert.deepEqual(parsePrometheusTarget(input, PATH), expected)
    })
  }

  const invalid: Array<[string, RegExp]> = [
    ['metrics', /must be a path/],
    ['ftp://gw/x', /http:\/\/ or https:\/\//],
    ['http://gw/x?interval=soon', /interval must be a duration/],
    ['http://gw/x?interval=500ms', /at least 1s/],
    ['http://[bad/x', /invalid push URL/],
  ]
  for (const [input, message] of invalid) {
    test(`rejects ${JSON.stringify(input)} naming the key`, () => {
      assert.throws(
        () => parsePrometheusTarget(input, PATH),
        (err: unknown) =>
          err instanceof ConfigError && err.path === PATH && message.test(err.message),
      )
    })
  }

  test('pullPath never throws', () => {
    assert.equal(pullPath('/m'), '/m')
    assert.equal(pullPath('http://x/y'), undefined)
    assert.equal(pullPath('junk'), undefined)
    assert.equal(pullPath(undefined), undefined)
  })
})

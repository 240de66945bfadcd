import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { test } from 'node:test'
import { isPingapError } from '../../../src/core/errors.ts'
import { guardRequest, isValidHost } from '../../../src/proxy/request-guard.ts'
import type { ServerLimits } from '../../../src/runtime/snapshot.ts'

const LIMITS: ServerLimits = {
  headerReadTimeoutMs: 1000,
  bodyReadTimeoutMs: 1000,
  keepAliveTimeoutMs: 1000,
  writeIdleTimeoutMs: 1000,
  maxUrlLength: 20,
  maxHeaderSize: 8192,
  maxHeaderCount: 3,
  maxConnections: 0,
}

function req(
  overrides: Partial<IncomingMessage> & { rawHeaders?: string[] } = {},
): IncomingMessage {
  const rawHeaders = overrides.rawHeaders ?? ['Host', 'a']
  const headers: Record<string, string> = {}
  for (let i = 0; i < rawHeaders.length; i += 2)
    headers[rawHeaders[i]!.toLowerCase()] ??= rawHeaders[i + 1]!
  return {
    url: '/',
    httpVersionMajor: 1,
    httpVersionMinor: 1,
    httpVersion: '1.1',
    headers,
    rawHeaders,
    ...overrides,
  } as IncomingMessage
}

function statusOf(r: IncomingMessage): number | undefined {
  try {
    guardRequest(r, LIMITS)
    return undefined
  } catch (err) {
    assert.ok(isPingapError(err))
    return err.status
  }
}

test('isValidHost', () => {
  for (const ok of [
    'a',
    'a.test',
    'a.test.',
    'A:80',
    '10.0.0.1:8080',
    '[::1]',
    '[::1]:443',
    '',
    'x_y.test',
  ])
    assert.equal(isValidHost(ok), true, ok)
  for (const bad of [
    'a b',
    'evil@a',
    'a:99999',
    'a:0',
    'a/b',
    '\xffa',
    'a,b',
    '[::1',
    'a:1:2',
    '.a',
  ])
    assert.equal(isValidHost(bad), false, bad)
})

test('guardRequest: statuses for each refusal, nothing for a good request', () => {
  const cases: Array<[string, IncomingMessage, number | undefined]> = [
    ['good', req(), undefined],
    ['HTTP/1.0', req({ httpVersionMinor: 0, httpVersion: '1.0' }), undefined],
    ['HTTP/0.9', req({ httpVersionMajor: 0, httpVersionMinor: 9, httpVersion: '0.9' }), 505],
    ['HTTP/2.0 on h1', req({ httpVersionMajor: 2, httpVersionMinor: 0, httpVersion: '2.0' }), 505],
    ['long URL', req({ url: `/${'a'.repeat(30)}` }), 414],
    ['too many headers', req({ rawHeaders: ['Host', 'a', 'x', '1', 'y', '1', 'z', '1'] }), 431],
    ['duplicate Host', req({ rawHeaders: ['Host', 'a', 'host', 'b'] }), 400],
    ['invalid Host', req({ rawHeaders: ['Host', 'a b'] }), 400],
    [
      'TE in 1.0',
      req({ httpVersionMinor: 0, rawHeaders: ['Host', 'a', 'Transfer-Encoding', 'chunked'] }),
      400,
    ],
  ]
  for (const [label, r, want] of cases) assert.equal(statusOf(r), want, label)
})

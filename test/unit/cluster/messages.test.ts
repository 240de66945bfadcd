import assert from 'node:assert/strict'
import { test } from 'node:test'
import { asToPrimary, asToWorker, envelope, PROTOCOL } from '../../../src/cluster/messages.ts'

const config = {
  type: 'config',
  version: 3,
  hash: 'abc',
  config: '{}',
  sources: [['basic', 'a.toml']],
  health: [{ upstream: 'u', address: '127.0.0.1:9', healthy: false }],
}

test('messages to workers: tagged, well-formed ones pass, anything else is ignored', () => {
  const cases: Array<[name: string, value: unknown, ok: boolean]> = [
    ['config', envelope(config), true],
    ['health', envelope({ type: 'health', upstream: 'u', address: 'a:1', healthy: true }), true],
    ['drain', envelope({ type: 'drain', graceMs: 10, timeoutMs: 5 }), true],
    ['untagged config', config, false],
    ['other protocol', { ...config, protocol: 'other/1' }, false],
    ['node:cluster internal', { cmd: 'NODE_CLUSTER', act: 'newconn' }, false],
    ['config without version', envelope({ ...config, version: 'x' }), false],
    ['config without text', envelope({ ...config, config: undefined }), false],
    ['health without verdict', envelope({ type: 'health', upstream: 'u', address: 'a:1' }), false],
    ['drain with a bad grace', envelope({ type: 'drain', graceMs: NaN, timeoutMs: 5 }), false],
    ['metrics-collect', envelope({ type: 'metrics-collect', id: 4 }), true],
    ['metrics-reply', envelope({ type: 'metrics-reply', id: 4, text: 'x 1\n' }), true],
    ['metrics-collect without id', envelope({ type: 'metrics-collect' }), false],
    ['unknown type', envelope({ type: 'explode' }), false],
    ['null', null, false],
    ['string', 'config', false],
  ]
  for (const [name, value, ok] of cases) {
    assert.equal(asToWorker(value) !== undefined, ok, name)
  }
})

test('messages to the primary: tagged, well-formed ones pass, anything else is ignored', () => {
  const cases: Array<[name: string, value: unknown, ok: boolean]> = [
    ['hello', envelope({ type: 'hello' }), true],
    ['ready', envelope({ type: 'ready', version: 1 }), true],
    ['applied', envelope({ type: 'applied', version: 2 }), true],
    [
      'rejected',
      envelope({ type: 'rejected', version: 2, code: 'PGT_ERR_CONFIG_INVALID', errors: ['x'] }),
      true,
    ],
    ['ready without version', envelope({ type: 'ready' }), false],
    ['rejected without errors', envelope({ type: 'rejected', version: 2, code: 'X' }), false],
    ['metrics-request', envelope({ type: 'metrics-request', id: 1 }), true],
    ['metrics', envelope({ type: 'metrics', id: 1, metrics: [] }), true],
    ['metrics without a list', envelope({ type: 'metrics', id: 1, metrics: {} }), false],
    ['untagged hello', { type: 'hello' }, false],
    ['unknown type', envelope({ type: 'config' }), false],
  ]
  for (const [name, value, ok] of cases) {
    assert.equal(asToPrimary(value) !== undefined, ok, name)
  }
  assert.equal(envelope({ type: 'hello' }).protocol, PROTOCOL)
})

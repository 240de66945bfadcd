import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../src/core/errors.ts'
import { textResponse } from '../../../src/core/http-response.ts'
import {
  applyBodyFilters,
  buildChains,
  collectBodyFilters,
  runDone,
  runRequestStep,
  runResponse,
  runUpstreamResponse,
} from '../../../src/plugins/chains.ts'
import type { BodyFilter, Plugin, PluginStep } from '../../../src/plugins/types.ts'
import { fakeContext } from '../../helpers/fake-context.ts'

function base(name: string, step: PluginStep = 'request'): Plugin {
  return { category: 'test', name, hash: name, step }
}

/** A request plugin that logs its name and answers when `answer` is set. */
function requestPlugin(
  name: string,
  log: string[],
  options: { step?: PluginStep; answer?: string; async?: boolean } = {},
): Plugin {
  return {
    ...base(name, options.step),
    onRequest() {
      log.push(name)
      const out = options.answer === undefined ? undefined : textResponse(200, options.answer)
      return options.async === true ? Promise.resolve(out) : out
    },
  }
}

test('buildChains splits by hook and step, keeping config order', () => {
  const log: string[] = []
  const early = requestPlugin('early', log, { step: 'early_request' })
  const a = requestPlugin('a', log)
  const b = requestPlugin('b', log)
  const proxy = requestPlugin('proxy', log, { step: 'proxy_upstream' })
  const headers: Plugin = { ...base('headers', 'response'), onResponse() {} }
  const upstream: Plugin = { ...base('up', 'upstream_response'), onUpstreamResponse() {} }
  const plugins = new Map([early, a, b, proxy, headers, upstream].map((p) => [p.name, p]))
  const chains = buildChains(
    ['b', 'headers', 'early', 'proxy', 'a', 'up'],
    plugins,
    'locations.api.plugins',
  )
  assert.deepEqual(
    chains.request.early_request?.map((p) => p.name),
    ['early'],
  )
  assert.deepEqual(
    chains.request.request?.map((p) => p.name),
    ['b', 'a'],
  )
  assert.deepEqual(
    chains.request.proxy_upstream?.map((p) => p.name),
    ['proxy'],
  )
  assert.deepEqual(
    chains.response?.map((p) => p.name),
    ['headers'],
  )
  assert.deepEqual(
    chains.upstreamResponse?.map((p) => p.name),
    ['up'],
  )
  assert.equal(chains.body, null)
  assert.equal(chains.upstreamBody, null)
  assert.equal(chains.done, null)
})

test('an empty plugin list gives null chains', () => {
  const chains = buildChains([], new Map(), 'locations.api.plugins')
  assert.equal(chains.request.request, null)
  assert.equal(chains.response, null)
})

test('an unknown plugin name is a config error at its index', () => {
  assert.throws(
    () => buildChains(['nosuch'], new Map(), 'locations.api.plugins'),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.code === 'PGT_ERR_CONFIG_REF' &&
      err.path === 'locations.api.plugins[0]',
  )
})

test('runRequestStep stays synchronous when every plugin is, and records timings', () => {
  const log: string[] = []
  const chain = [requestPlugin('a', log), requestPlugin('b', log)] as const
  const ctx = fakeContext()
  ctx.pluginTimings = []
  const out = runRequestStep(chain as never, ctx)
  assert.equal(out, undefined)
  assert.deepEqual(log, ['a', 'b'])
  assert.deepEqual(
    ctx.pluginTimings?.map(([name]) => name),
    ['a', 'b'],
  )
  assert.ok((ctx.pluginTimings ?? []).every(([, ms]) => ms >= 0))
})

test('plugins are not timed when nothing reports the timings', () => {
  const log: string[] = []
  const ctx = fakeContext()
  const out = runRequestStep([requestPlugin('a', log), requestPlugin('b', log)] as never, ctx)
  assert.ok(!(out instanceof Promise))
  assert.deepEqual(log, ['a', 'b'])
  assert.equal(ctx.pluginTimings, undefined)
})

test('the first plugin that answers ends the chain (sync)', () => {
  const log: string[] = []
  const chain = [requestPlugin('a', log, { answer: 'from a' }), requestPlugin('b', log)]
  const out = runRequestStep(chain as never, fakeContext())
  assert.ok(!(out instanceof Promise))
  assert.equal(out?.body.toString(), 'from a')
  assert.deepEqual(log, ['a'])
})

test('an async plugin switches to the async path and later plugins still run in order', async () => {
  const log: string[] = []
  const chain = [
    requestPlugin('a', log),
    requestPlugin('b', log, { async: true }),
    requestPlugin('c', log, { answer: 'c' }),
    requestPlugin('d', log),
  ]
  const ctx = fakeContext()
  ctx.pluginTimings = []
  const out = runRequestStep(chain as never, ctx)
  assert.ok(out instanceof Promise)
  assert.equal((await out)?.body.toString(), 'c')
  assert.deepEqual(log, ['a', 'b', 'c'])
  assert.deepEqual(
    ctx.pluginTimings?.map(([name]) => name),
    ['a', 'b', 'c'],
  )
})

test('an async plugin that answers ends the chain', async () => {
  const log: string[] = []
  const chain = [requestPlugin('a', log, { async: true, answer: 'a' }), requestPlugin('b', log)]
  assert.equal((await runRequestStep(chain as never, fakeContext()))?.body.toString(), 'a')
  assert.deepEqual(log, ['a'])
})

test('a null chain answers undefined at once', () => {
  assert.equal(runRequestStep(null, fakeContext()), undefined)
  assert.equal(runResponse(null, fakeContext(), { status: 200, headers: {} }), undefined)
})

test('header hooks run in order on the same head; runResponse awaits async hooks', async () => {
  const order: string[] = []
  const upstream = [
    { ...base('u1'), onUpstreamResponse: () => order.push('u1') },
    { ...base('u2'), onUpstreamResponse: () => order.push('u2') },
  ]
  const response = [
    {
      ...base('r1'),
      onResponse: async () => {
        await Promise.resolve()
        order.push('r1')
      },
    },
    {
      ...base('r2'),
      onResponse: () => {
        order.push('r2')
      },
    },
  ]
  const ctx = fakeContext()
  ctx.pluginTimings = []
  const head = { status: 200, headers: {} }
  runUpstreamResponse(upstream, ctx, head)
  const pending = runResponse(response, ctx, head)
  assert.ok(pending instanceof Promise)
  await pending
  assert.deepEqual(order, ['u1', 'u2', 'r1', 'r2'])
  assert.deepEqual(
    ctx.pluginTimings?.map(([n]) => n),
    ['u1', 'u2', 'r1', 'r2'],
  )
})

test('collectBodyFilters returns null when no plugin wants the body', () => {
  const chain = [{ ...base('x'), onResponseBody: () => undefined }]
  assert.equal(
    collectBodyFilters(chain, fakeContext(), { status: 200, headers: {} }, 'response'),
    null,
  )
  assert.equal(
    collectBodyFilters(null, fakeContext(), { status: 200, headers: {} }, 'response'),
    null,
  )
})

test('collectBodyFilters picks the hook of the body kind', () => {
  const upper: BodyFilter = (chunk) => Buffer.from(chunk.toString().toUpperCase())
  const chain = [
    { ...base('x'), onUpstreamResponseBody: () => upper, onResponseBody: () => undefined },
  ]
  const ctx = fakeContext()
  assert.deepEqual(collectBodyFilters(chain, ctx, { status: 200, headers: {} }, 'upstream'), [
    upper,
  ])
  assert.equal(collectBodyFilters(chain, ctx, { status: 200, headers: {} }, 'response'), null)
})

test('applyBodyFilters pipes chunks in order and gives each filter end=true exactly once', () => {
  const ends: string[] = []
  const buffering = (): BodyFilter => {
    const parts: Buffer[] = []
    return (chunk, end) => {
      parts.push(chunk)
      if (!end) return null
      ends.push('buffer')
      return Buffer.concat(parts)
    }
  }
  const upper: BodyFilter = (chunk, end) => {
    if (end) ends.push('upper')
    return Buffer.from(chunk.toString().toUpperCase())
  }
  const holdAll: BodyFilter = (_chunk, end) => {
    if (end) ends.push('hold')
    return null
  }
  const filters = [buffering(), upper]
  assert.equal(applyBodyFilters(filters, Buffer.from('ab'), false), null)
  assert.equal(applyBodyFilters(filters, Buffer.from('cd'), true)?.toString(), 'ABCD')
  assert.deepEqual(ends, ['buffer', 'upper'])
  ends.length = 0
  assert.equal(applyBodyFilters([holdAll, upper], Buffer.from('x'), true)?.toString(), '')
  assert.deepEqual(ends, ['hold', 'upper'])
})

test('runDone tells every done plugin even when one throws', () => {
  const seen: string[] = []
  const chain = [
    {
      ...base('a'),
      onDone: () => {
        seen.push('a')
        throw new Error('boom')
      },
    },
    {
      ...base('b'),
      onDone: () => {
        seen.push('b')
      },
    },
  ]
  assert.throws(() => runDone(chain, fakeContext()), /boom/)
  assert.deepEqual(seen, ['a', 'b'])
  runDone(undefined, fakeContext())
  runDone(null, fakeContext())
})

test('buildChains collects done hooks', () => {
  const p: Plugin = { ...base('l'), onRequest: () => undefined, onDone: () => {} }
  assert.deepEqual(
    buildChains(['l'], new Map([['l', p]]), 'x').done?.map((d) => d.name),
    ['l'],
  )
})

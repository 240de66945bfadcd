import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  decodeCheckResponse,
  encodeCheckRequest,
  grpcChecker,
} from '../../../../src/upstream/health/grpc.ts'
import { parseHealthCheck } from '../../../../src/upstream/health/parse.ts'
import { startGrpcServer } from '../../../helpers/grpc.ts'

test('the Check request and response are encoded by hand', () => {
  assert.deepEqual([...encodeCheckRequest('')], [0, 0, 0, 0, 0])
  assert.deepEqual([...encodeCheckRequest('ab')], [0, 0, 0, 0, 4, 0x0a, 2, 0x61, 0x62])
  assert.equal(decodeCheckResponse(Buffer.from([0, 0, 0, 0, 2, 0x08, 1])), 1)
  assert.equal(decodeCheckResponse(Buffer.from([0, 0, 0, 0, 0])), 0)
  assert.throws(() => decodeCheckResponse(Buffer.alloc(0)))
})

test('grpc check against a grpc-js server: SERVING, NOT_SERVING, unknown service', async () => {
  const server = await startGrpcServer()
  const signal = new AbortController().signal
  const backend = { host: '127.0.0.1', port: server.port }
  const whole = grpcChecker(parseHealthCheck('grpc://127.0.0.1'))
  const named = grpcChecker(parseHealthCheck('grpc://127.0.0.1?service=api&reuse'))
  try {
    await whole.check(backend, signal)
    server.health.set('api', 1)
    await named.check(backend, signal)
    server.health.set('api', 2)
    await assert.rejects(named.check(backend, signal), /NOT_SERVING/)
    server.health.delete('api')
    await assert.rejects(named.check(backend, signal), /grpc-status 5/)
    server.health.set('api', 1)
    await named.check(backend, signal)
  } finally {
    await whole.close()
    await named.close()
    await server.close()
  }
})

test('grpc check fails on a closed port', async () => {
  const checker = grpcChecker(parseHealthCheck('grpc://127.0.0.1?connection_timeout=1s'))
  await assert.rejects(checker.check({ host: '127.0.0.1', port: 1 }, new AbortController().signal))
  await checker.close()
})

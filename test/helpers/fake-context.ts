/**
 * A RequestContext built from plain values, for unit tests of code that only reads the context
 * (access log, header values, plugins). `req` is a bare object: tests must not touch it.
 */
import type { IncomingMessage } from 'node:http'
import type { RequestContext } from '../../src/core/context.ts'

type Writable<T> = { -readonly [K in keyof T]: T[K] }

/** A context for `GET example.com/x` from 192.0.2.10:51000 to 127.0.0.1:8080, plus overrides. */
export function fakeContext(overrides: Partial<Writable<RequestContext>> = {}): RequestContext {
  const base: Writable<RequestContext> = {
    req: {} as IncomingMessage,
    startTime: performance.now(),
    startedAt: Date.now(),
    connectionId: 7,
    connectionReused: false,
    serverName: 'test',
    method: 'GET',
    scheme: 'http',
    proto: 'HTTP/1.1',
    host: 'example.com',
    path: '/x',
    query: '',
    headers: { host: 'example.com' },
    remoteAddr: '192.0.2.10',
    remotePort: 51000,
    serverAddr: '127.0.0.1',
    serverPort: 8080,
    clientIp: '192.0.2.10',
    peerTrusted: false,
    location: '',
    variables: undefined,
    upstreamOverride: undefined,
    upstreamAddr: '',
    upstreamStatus: undefined,
    upstreamReused: undefined,
    upstreamTimings: {},
    requestId: undefined,
    pluginTimings: undefined,
    payloadSize: 0,
    responseSize: 0,
    status: 0,
    sentHeaders: undefined,
    cacheKeys: undefined,
    state: undefined,
    responseHeaders: undefined,
  }
  return Object.assign(base, overrides)
}

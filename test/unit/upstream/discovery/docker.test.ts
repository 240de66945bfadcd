import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../../src/core/errors.ts'
import type { BackendEntry } from '../../../../src/upstream/backend.ts'
import { dockerEndpoint } from '../../../../src/upstream/discovery/docker-api.ts'
import {
  containerAddress,
  DockerDiscovery,
  parseDockerAddrs,
} from '../../../../src/upstream/discovery/docker.ts'
import { startDockerEngine } from '../../../helpers/docker-engine.ts'
import { eventually } from '../fixtures.ts'

test('parseDockerAddrs: label[:port][ weight]', () => {
  const cases: Array<[string, { label: string; port: number | undefined; weight: number }]> = [
    ['web', { label: 'web', port: undefined, weight: 1 }],
    ['com.example.app=api:8080', { label: 'com.example.app=api', port: 8080, weight: 1 }],
    ['app=api 5', { label: 'app=api', port: undefined, weight: 5 }],
    ['app:3000 2', { label: 'app', port: 3000, weight: 2 }],
  ]
  for (const [entry, want] of cases)
    assert.deepEqual(parseDockerAddrs([entry], 'u')[0], want, entry)
  for (const bad of ['app:70000', 'app 0', 'app x', 'a b c']) {
    assert.throws(() => parseDockerAddrs([bad], 'u'), ConfigError, bad)
  }
  assert.throws(() => parseDockerAddrs([], 'u'), /addrs must not be empty/)
})

test('containerAddress: the given port on the network IP, else the first private port or the published one', () => {
  const net = {
    NetworkSettings: { Networks: { br: { IPAddress: '172.18.0.5', Gateway: '172.18.0.1' } } },
  }
  const cases: Array<[string, object, number | undefined, object | undefined]> = [
    ['port given', { ...net }, 8080, { host: '172.18.0.5', port: 8080 }],
    [
      'first private port',
      {
        ...net,
        Ports: [
          { PrivatePort: 9000, Type: 'tcp' },
          { PrivatePort: 80, Type: 'tcp' },
        ],
      },
      undefined,
      { host: '172.18.0.5', port: 80 },
    ],
    ['udp only', { ...net, Ports: [{ PrivatePort: 53, Type: 'udp' }] }, undefined, undefined],
    [
      'published on all interfaces: the gateway',
      { ...net, Ports: [{ PrivatePort: 80, PublicPort: 32768, Type: 'tcp', IP: '0.0.0.0' }] },
      undefined,
      { host: '172.18.0.1', port: 32768 },
    ],
    [
      'published on one address',
      { ...net, Ports: [{ PrivatePort: 80, PublicPort: 8081, Type: 'tcp', IP: '127.0.0.1' }] },
      undefined,
      { host: '127.0.0.1', port: 8081 },
    ],
    ['no network', {}, 8080, undefined],
  ]
  for (const [what, container, port, want] of cases) {
    assert.deepEqual(containerAddress(container, port), want, what)
  }
})

test('dockerEndpoint follows DOCKER_HOST as the docker CLI does', () => {
  assert.deepEqual(dockerEndpoint({}), { socketPath: '/var/run/docker.sock' })
  assert.deepEqual(dockerEndpoint({ DOCKER_HOST: 'unix:///tmp/d.sock' }), {
    socketPath: '/tmp/d.sock',
  })
  assert.deepEqual(dockerEndpoint({ DOCKER_HOST: 'tcp://10.0.0.1:2375' }), {
    host: '10.0.0.1',
    port: 2375,
  })
})

test('DockerDiscovery follows containers on engine events and keeps the last set when the engine goes', async () => {
  const engine = await startDockerEngine()
  const changes: Array<readonly BackendEntry[]> = []
  const discovery = new DockerDiscovery(
    parseDockerAddrs(['app=web', 'other 3'], 'u'),
    3_600_000,
    (entries) => changes.push(entries),
    undefined,
    { socketPath: engine.socketPath },
  )
  try {
    discovery.start()
    await eventually(() => assert.equal(engine.streams, 1))
    const base = { ip: '127.0.0.1', labels: { app: 'web' } }
    engine.add({ ...base, id: 'c1', name: 'web-1', privatePort: 1001 })
    engine.add({ ...base, id: 'c2', name: 'web-2', privatePort: 1002 })
    engine.add({ id: 'c3', name: 'other', ip: '127.0.0.1', labels: {}, privatePort: 1003 })
    engine.add({ ...base, id: 'c4', name: 'db', labels: { app: 'db' }, privatePort: 1004 })
    const all = [
      { host: '127.0.0.1', port: 1001, weight: 1 },
      { host: '127.0.0.1', port: 1002, weight: 1 },
      { host: '127.0.0.1', port: 1003, weight: 3 },
    ]
    await eventually(() => assert.deepEqual(discovery.entries, all))
    engine.remove('c1')
    await eventually(() => assert.deepEqual(discovery.entries, all.slice(1)))
    engine.remove('c3', 'destroy')
    await eventually(() => assert.deepEqual(discovery.entries, all.slice(1, 2)))
    assert.deepEqual(changes.at(-1), all.slice(1, 2))
    await engine.close()
    await discovery.refresh()
    assert.deepEqual(discovery.entries, all.slice(1, 2), 'an engine outage keeps the last set')
  } finally {
    discovery.stop()
    await engine.close()
  }
})

/** Group B of the catalogue: request line, target and Host. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { expectRefused } from '../helpers/checks.ts'
import { canary, type HostileEnv } from '../helpers/env.ts'
import { raw } from '../helpers/raw.ts'
import { tally } from '../helpers/tally.ts'

async function refuseAll(
  env: HostileEnv,
  id: string,
  payloads: readonly string[],
  status: readonly number[],
): Promise<void> {
  for (const p of payloads) await expectRefused(env, p, { status }, `${id} ${JSON.stringify(p)}`)
  tally(id, payloads.length)
}

export function groupB(env: () => HostileEnv): void {
  describe('B. request line, target and Host', () => {
    test('B1 missing Host in HTTP/1.1 → 400', async () => {
      await refuseAll(env(), 'B1', ['GET / HTTP/1.1\r\n\r\n'], [400])
    })

    test('B2 duplicate Host → 400 + close, nothing forwarded', async () => {
      await refuseAll(
        env(),
        'B2',
        [
          'GET / HTTP/1.1\r\nHost: a\r\nHost: b.test\r\n\r\n',
          'GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n',
          'GET / HTTP/1.0\r\nHost: a\r\nHOST: b.test\r\n\r\n',
        ],
        [400],
      )
    })

    test('B3 invalid Host values → 400 + close; case, trailing dot and port are ignored', async () => {
      const e = env()
      const bad = ['a b', 'evil@a', 'a:99999', 'a/b', '\xffa', 'a,b', '[::1', 'a:1:2']
      await refuseAll(
        e,
        'B3',
        bad.map((h) => `GET / HTTP/1.1\r\nHost: ${h}\r\n\r\n`),
        [400],
      )
      for (const host of ['A', 'a.', 'a:80', 'A.:8080']) {
        const mark = e.rec.mark()
        const res = await raw(e.port, `GET /b3 HTTP/1.1\r\nHost: ${host}\r\n\r\n`, { responses: 1 })
        assert.equal(res.statuses[0], 200, `Host ${host}: ${res.text.slice(0, 200)}`)
        const [sent] = e.rec.since(mark).requests
        assert.equal(e.rec.header(sent!, 'x-loc'), 'a-root', `Host ${host} routed elsewhere`)
      }
      await canary(e)
      tally('B3', 4)
    })

    test('B4 absolute-form: routed by its authority, forwarded in origin form with that Host', async () => {
      const e = env()
      const cases: Array<[string, string, string]> = [
        ['http://b.test/x?q=1', 'b.test', '/x?q=1'],
        ['http://B.TEST:8080/y', 'B.TEST:8080', '/y'],
        ['http://b.test', 'b.test', '/'],
      ]
      for (const [target, host, path] of cases) {
        const mark = e.rec.mark()
        const res = await raw(e.port, `GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`, { responses: 1 })
        assert.equal(res.statuses[0], 200, `${target}: ${res.text.slice(0, 200)}`)
        const [sent] = e.rec.since(mark).requests
        assert.equal(sent?.target, path)
        assert.equal(e.rec.header(sent, 'host'), host)
        assert.equal(e.rec.header(sent, 'x-loc'), 'b-root')
      }
      await refuseAll(
        e,
        'B4',
        [
          'GET http://evil@b.test/ HTTP/1.1\r\nHost: a\r\n\r\n',
          'GET ftp://b.test/ HTTP/1.1\r\nHost: a\r\n\r\n',
        ],
        [400],
      )
      await canary(e)
      tally('B4', cases.length)
    })

    test('B5 asterisk-form → 400', async () => {
      await refuseAll(
        env(),
        'B5',
        ['GET * HTTP/1.1\r\nHost: a\r\n\r\n', 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n'],
        [400],
      )
    })

    test('B6 CONNECT → 405 + close', async () => {
      await refuseAll(env(), 'B6', ['CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n'], [405])
    })

    test('B7 fragment in the target → 400', async () => {
      await refuseAll(
        env(),
        'B7',
        [
          'GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n',
          'GET http://b.test/a#f HTTP/1.1\r\nHost: a\r\n\r\n',
        ],
        [400],
      )
    })

    test('B8 HTTP/0.9, HTTP/2.0 on HTTP/1 and HTTP/1.2 → 505/400, nothing forwarded', async () => {
      await refuseAll(
        env(),
        'B8',
        ['GET /\r\n\r\n', 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', 'GET / HTTP/1.2\r\nHost: a\r\n\r\n'],
        [400, 505],
      )
    })

    test('B9 odd methods → 400/501', async () => {
      await refuseAll(
        env(),
        'B9',
        [
          'get / HTTP/1.1\r\nHost: a\r\n\r\n',
          'FOO / HTTP/1.1\r\nHost: a\r\n\r\n',
          `${'G'.repeat(1024)} / HTTP/1.1\r\nHost: a\r\n\r\n`,
        ],
        [400, 501],
      )
    })

    test('B10 prototype-named headers are plain headers', async () => {
      const e = env()
      const mark = e.rec.mark()
      const res = await raw(
        e.port,
        'GET /b10 HTTP/1.1\r\nHost: a\r\n__proto__: x\r\nconstructor: y\r\nhasOwnProperty: z\r\n' +
          'toString: t\r\n\r\n',
        { responses: 1 },
      )
      assert.equal(res.statuses[0], 200, res.text.slice(0, 200))
      const [sent] = e.rec.since(mark).requests
      assert.equal(e.rec.header(sent!, 'constructor'), 'y')
      assert.equal(e.rec.header(sent!, 'hasownproperty'), 'z')
      await canary(e)
      tally('B10', 4)
    })
  })
}

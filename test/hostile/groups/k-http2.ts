/** Group K of the catalogue: HTTP/2 (prior-knowledge h2c), driven by raw frames. */
import assert from 'node:assert/strict'
import { connect as h2connect } from 'node:http2'
import { before, describe, test } from 'node:test'
import { eventually } from '../../helpers/eventually.ts'
import { canary, type HostileEnv } from '../helpers/env.ts'
import {
  errorCode,
  FLAG,
  FRAME,
  frame,
  h2raw,
  headers,
  indexed,
  literal,
  literalIndexed,
  PREFACE,
  requestBlock,
  rst,
  speaksH2c,
  staticStatus,
  windowUpdate,
  type Frame,
  type H2Result,
} from '../helpers/h2.ts'
import { fdCount, rssMb } from '../helpers/proxy.ts'
import { openSocket } from '../helpers/raw.ts'
import { skipRow, tally } from '../helpers/tally.ts'

const PROTOCOL_ERROR = 1
const INTERNAL_ERROR = 2
const FLOW_CONTROL_ERROR = 3
const REFUSED_STREAM = 7

const ended = (frames: readonly Frame[]): boolean => frames.some((f) => f.type === FRAME.GOAWAY)

/** The connection ended with GOAWAY or a close. */
function assertCutOff(res: H2Result, label: string): void {
  assert.ok(res.goaway !== undefined || res.closed, `${label}: neither GOAWAY nor close`)
}

/** A GET on the h2c port through Node's own client: the HTTP/2 canary. */
async function h2Canary(port: number): Promise<void> {
  const session = h2connect(`http://127.0.0.1:${port}`)
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const req = session.request({ ':path': '/canary', ':authority': 'canary.test' })
      req.on('response', (h) => resolve(Number(h[':status'])))
      req.on('error', reject)
      req.resume()
      req.end()
    })
    assert.equal(status, 200)
  } finally {
    session.close()
  }
}

/** Response statuses by stream id, for responses whose status is a static-table entry. */
function statuses(frames: readonly Frame[]): Map<number, number | undefined> {
  const out = new Map<number, number | undefined>()
  for (const f of frames) if (f.type === FRAME.HEADERS) out.set(f.stream, staticStatus(f.payload))
  return out
}

export function groupK(env: () => HostileEnv): void {
  describe('K. HTTP/2', () => {
    let skip: string | false = false
    before(async () => {
      if (!(await speaksH2c(env().h2Port))) skip = skipRow('K*', 'enabled_h2 h2c is not available')
    })
    const check = async (e: HostileEnv): Promise<void> => {
      await canary(e)
      await h2Canary(e.h2Port)
    }

    test('K0 a plain HTTP/2 request is served', async (t) => {
      if (skip !== false) return t.skip(skip)
      const e = env()
      const res = await h2raw(e.h2Port, [headers(1, requestBlock('GET', '/k0', 'a'))], {
        until: (f) => f.some((x) => x.type === FRAME.DATA && (x.flags & FLAG.END_STREAM) !== 0),
      })
      assert.equal(statuses(res.frames).get(1), 200)
      const settings = res.frames.find((f) => f.type === FRAME.SETTINGS && f.payload.length > 0)
      const entries = new Map<number, number>()
      for (let i = 0; i + 6 <= (settings?.payload.length ?? 0); i += 6) {
        entries.set(settings!.payload.readUInt16BE(i), settings!.payload.readUInt32BE(i + 2))
      }
      assert.equal(entries.get(3), 100, 'SETTINGS_MAX_CONCURRENT_STREAMS is not 100')
      await check(e)
    })

    test('K1 rapid reset → GOAWAY, bounded upstream work', async (t) => {
      if (skip !== false) return t.skip(skip)
      const e = env()
      const mark = e.rec.mark()
      const n = 20_000
      const flood: Buffer[] = []
      for (let i = 0; i < n; i++) {
        const id = 1 + 2 * i
        flood.push(headers(id, requestBlock('GET', `/k1/${i}`, 'a')), rst(id))
      }
      const res = await h2raw(e.h2Port, [Buffer.concat(flood)], { until: ended, timeoutMs: 15_000 })
      assertCutOff(res, 'K1')
      const reached = e.rec.since(mark).requests.length
      assert.ok(reached < n / 2, `${reached} of ${n} reset streams reached the upstream`)
      await check(e)
      tally('K1', n)
    })

    test('K2 CONTINUATION flood → GOAWAY or close, memory bounded', async (t) => {
      if (skip !== false) return t.skip(skip)
      const e = env()
      const rss = rssMb(e.proxy.pid)
      const block = literal('x-a', 'b'.repeat(64))
      const parts: Buffer[] = [headers(1, requestBlock('GET', '/k2', 'a'), true, false)]
      for (let i = 0; i < 20_000; i++) parts.push(frame(FRAME.CONTINUATION, 0, 1, block))
      const res = await h2raw(e.h2Port, [Buffer.concat(parts)], { until: ended, timeoutMs: 10_000 })
      assertCutOff(res, 'K2')
      assert.ok(rssMb(e.proxy.pid) - rss < 50)
      await check(e)
      tally('K2', 20_000)
    })

    test('K3 SETTINGS and PING floods with a client that never reads → cut off', async (t) => {
      if (skip !== false) return t.skip(skip)
      const e = env()
      for (const [label, f] of [
        ['SETTINGS', frame(FRAME.SETTINGS, 0, 0)],
        ['PING', frame(FRAME.PING, 0, 0, Buffer.alloc(8))],
      ] as const) {
        const before = fdCount(e.proxy.pid)
        const socket = await openSocket(e.h2Port)
        try {
          socket.on('error', () => undefined)
          socket.pause() // never read: the server's answers back up
          socket.write(PREFACE)
          socket.write(Buffer.concat(Array.from({ length: 100_000 }, () => f)))
          await eventually(() => assert.ok(fdCount(e.proxy.pid) > before), 5_000).catch(
            () => undefined,
          )
          // The proxy lets go of the connection on its own (its descriptor is closed).
          await eventually(
            () => assert.ok(fdCount(e.proxy.pid) <= before, `${label} flood: connection kept`),
            15_000,
          )
        } finally {
          socket.destroy()
        }
      }
      await check(e)
      tally('K3', 200_000)
    })

    test('K4 WINDOW_UPDATE overflow on stream 0 → GOAWAY FLOW_CONTROL_ERROR', async (t) => {
      if (skip !== false) return t.skip(skip)
      const e = env()
      const res = await h2raw(
        e.h2Port,
        [windowUpdate(0, 0x7fffffff), windowUpdate(0, 0x7fffffff)],
        {
          until: ended,
        },
      )
      assert.ok(res.goaway !== undefined, 'no GOAWAY')
      // nghttp2 reports FLOW_CONTROL_ERROR; Node 20 passes it on as INTERNAL_ERROR.
      assert.ok([FLOW_CONTROL_ERROR, INTERNAL_ERROR].includes(errorCode(res.goaway)))
      await check(e)
      tally('K4')
    })

    test('K5 streams beyond the concurrency limit are refused', async (t) => {
      if (skip !== false) return t.skip(skip)
      const e = env()
      // Streams to a hanging upstream stay open; the 101st and later must be refused.
      const open = Array.from({ length: 150 }, (_, i) =>
        headers(1 + 2 * i, requestBlock('GET', `/e/hang?k5-${i}`, 'evil.test')),
      )
      const res = await h2raw(e.h2Port, [Buffer.concat(open)], {
        until: (f) => f.some((x) => x.type === FRAME.RST_STREAM || x.type === FRAME.GOAWAY),
        timeoutMs: 5_000,
      })
      const refusal = res.frames.find((f) => f.type === FRAME.RST_STREAM || f.type === FRAME.GOAWAY)
      assert.ok(refusal !== undefined, 'more than 100 concurrent streams were accepted')
      assert.ok(
        [REFUSED_STREAM, PROTOCOL_ERROR].includes(errorCode(refusal)),
        `code ${errorCode(refusal)}`,
      )
      await check(e)
      tally('K5', 150)
    })

    test('K6 malformed requests → stream error, nothing forwarded', async (t) => {
      if (skip !== false) return t.skip(skip)
      const e = env()
      const cases: Array<[string, Buffer[]]> = [
        [
          'connection header',
          [headers(1, requestBlock('GET', '/k6', 'a', [literal('connection', 'keep-alive')]))],
        ],
        [
          'uppercase name',
          [headers(1, requestBlock('GET', '/k6', 'a', [literal('X-Upper', '1')]))],
        ],
        [
          'no :path',
          [headers(1, Buffer.concat([indexed(2), indexed(6), literal(':authority', 'a')]))],
        ],
        ['te: gzip', [headers(1, requestBlock('GET', '/k6', 'a', [literal('te', 'gzip')]))]],
        [
          'content-length mismatch',
          [
            headers(1, requestBlock('POST', '/k6', 'a', [literal('content-length', '10')]), false),
            frame(FRAME.DATA, FLAG.END_STREAM, 1, Buffer.from('12345')),
          ],
        ],
      ]
      for (const [label, frames] of cases) {
        const mark = e.rec.mark()
        const res = await h2raw(e.h2Port, frames, {
          until: (f) =>
            f.some(
              (x) =>
                x.type === FRAME.RST_STREAM || x.type === FRAME.GOAWAY || x.type === FRAME.HEADERS,
            ),
        })
        const status = statuses(res.frames).get(1)
        const refused = res.frames.some(
          (f) => f.type === FRAME.RST_STREAM || f.type === FRAME.GOAWAY,
        )
        assert.ok(refused || status === 400, `${label}: accepted (${status})`)
        assert.equal(e.rec.unexpected(mark).length, 0, `${label}: forwarded`)
      }
      await check(e)
      tally('K6', cases.length)
    })

    test('K7 CR/LF/NUL in a value never reaches the upstream raw', async (t) => {
      if (skip !== false) return t.skip(skip)
      const e = env()
      const mark = e.rec.mark()
      for (const value of ['a\r\nInjected: 1', 'a\nInjected: 1', 'a\0b']) {
        await h2raw(
          e.h2Port,
          [headers(1, requestBlock('GET', '/k7', 'a', [literal('x-k7', value)]))],
          {
            until: (f) => f.some((x) => x.type !== FRAME.SETTINGS),
          },
        )
      }
      for (const r of e.rec.since(mark).requests) assert.ok(!/\r\nInjected/i.test(r.head), r.head)
      await check(e)
      tally('K7', 3)
    })

    test('K8 :authority and host that disagree → 400', async (t) => {
      if (skip !== false) return t.skip(skip)
      const e = env()
      const mark = e.rec.mark()
      const res = await h2raw(
        e.h2Port,
        [headers(1, requestBlock('GET', '/k8', 'a', [literal('host', 'evil.example')]))],
        { until: (f) => f.some((x) => x.type === FRAME.HEADERS || x.type === FRAME.RST_STREAM) },
      )
      const status = statuses(res.frames).get(1)
      const reset = res.frames.some((f) => f.type === FRAME.RST_STREAM)
      assert.ok(status === 400 || reset, `status ${status}`)
      assert.equal(e.rec.since(mark).requests.length, 0)
      await check(e)
      tally('K8')
    })

    test('K9 HPACK bomb → header-list limit, no blow-up', async (t) => {
      if (skip !== false) return t.skip(skip)
      const e = env()
      const rss = rssMb(e.proxy.pid)
      const bomb = [
        literalIndexed('x-bomb', 'a'.repeat(4000)),
        ...Array.from({ length: 1000 }, () => indexed(62)),
      ]
      const res = await h2raw(e.h2Port, [headers(1, requestBlock('GET', '/k9', 'a', bomb))], {
        until: (f) =>
          f.some(
            (x) =>
              x.type === FRAME.HEADERS || x.type === FRAME.RST_STREAM || x.type === FRAME.GOAWAY,
          ),
      })
      const status = statuses(res.frames).get(1)
      const refused = res.frames.some((f) => f.type === FRAME.RST_STREAM || f.type === FRAME.GOAWAY)
      assert.ok(refused || status === undefined || status >= 400, `accepted with ${status}`)
      assert.ok(rssMb(e.proxy.pid) - rss < 50)
      await check(e)
      tally('K9')
    })

    test('K10 client RST during an upload: the upstream never gets a complete request', async (t) => {
      if (skip !== false) return t.skip(skip)
      const e = env()
      const mark = e.rec.mark()
      const abandoned = e.rec.abandoned.length
      const body = Buffer.alloc(16_000, 0x61)
      for (let i = 0; i < 5; i++) {
        await h2raw(
          e.h2Port,
          [
            headers(
              1,
              requestBlock('POST', '/upload', 'a', [literal('content-length', '60000')]),
              false,
            ),
            frame(FRAME.DATA, 0, 1, body),
            frame(FRAME.DATA, 0, 1, body),
            rst(1),
          ],
          { timeoutMs: 500 },
        )
      }
      await eventually(() => {
        const since = e.rec.since(mark)
        // Either nothing reached the upstream or what did was cut off, never completed.
        assert.equal(since.requests.length, 0, 'a reset upload reached the upstream complete')
        assert.ok(
          since.bytes === 0 || e.rec.abandoned.length > abandoned,
          'upstream request left open',
        )
      })
      await check(e)
      tally('K10', 5)
    })

    test('K11 MadeYouReset: bulk stream errors provoked by the client → bounded work', async (t) => {
      if (skip !== false) return t.skip(skip)
      const e = env()
      const mark = e.rec.mark()
      const parts: Buffer[] = []
      for (let i = 0; i < 5_000; i++) {
        const id = 1 + 2 * i
        parts.push(headers(id, requestBlock('GET', `/k11/${i}`, 'a'), false), windowUpdate(id, 0))
      }
      const res = await h2raw(e.h2Port, [Buffer.concat(parts)], { until: ended, timeoutMs: 10_000 })
      assert.ok(res.frames.length > 0)
      const reached = e.rec.since(mark).requests.length
      assert.ok(reached < 5_000, `${reached} provoked streams reached the upstream`)
      await check(e)
      tally('K11', 5_000)
    })
  })
}

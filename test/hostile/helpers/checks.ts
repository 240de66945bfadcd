/**
 * The assertions most rows share: "refused with one of these statuses, connection closed,
 * nothing forwarded", each followed by the canary.
 */
import assert from 'node:assert/strict'
import { eventually } from '../../helpers/eventually.ts'
import { canary, type HostileEnv } from './env.ts'
import { openSocket, raw, rawOn, type RawOptions, type RawResult } from './raw.ts'

export interface RefuseExpectation {
  /** Acceptable statuses; the answer must be exactly one response with one of them. */
  readonly status: readonly number[]
  /** The connection must be closed after the answer (default true). */
  readonly close?: boolean
  /** Raw options for the exchange. */
  readonly raw?: RawOptions
  /**
   * The fault lies in the body, which the proxy streams: the head and the first body bytes may
   * have reached the upstream, but never a complete request (it must have been aborted).
   */
  readonly streamed?: boolean
}

/** Sends `payload` on a fresh connection and checks a single refusal with nothing forwarded. */
export async function expectRefused(
  env: HostileEnv,
  payload: string | Buffer | readonly (string | Buffer)[],
  expect: RefuseExpectation,
  fullLabel = JSON.stringify(String(payload).slice(0, 60)),
): Promise<RawResult> {
  const label = fullLabel.slice(0, 100)
  const mark = env.rec.mark()
  const abandoned = env.rec.abandoned.length
  const res = await raw(env.port, payload, { timeoutMs: 4_000, ...expect.raw })
  assert.equal(
    res.statuses.length,
    1,
    `${label}: expected one response, got ${res.text.slice(0, 300)}`,
  )
  assert.ok(
    expect.status.includes(res.statuses[0] ?? 0),
    `${label}: status ${res.statuses[0]} not in ${expect.status.join('/')}`,
  )
  if (expect.close !== false) assert.ok(res.closed, `${label}: connection left open`)
  await canary(env)
  const since = env.rec.since(mark)
  if (expect.streamed === true && since.bytes > 0) {
    assert.equal(since.requests.length, 0, `${label}: a complete request reached the upstream`)
    await eventually(() => assert.ok(env.rec.abandoned.length > abandoned, `${label}: not aborted`))
  } else assert.equal(since.bytes, 0, `${label}: ${since.bytes} bytes reached the upstream`)
  return res
}

/** Sends `payload`, then a canary on the same connection: the next answer must be the canary's. */
export async function expectOneThenCanary(
  env: HostileEnv,
  payload: string,
  firstStatus: readonly number[],
  label: string,
): Promise<RawResult> {
  const socket = await openSocket(env.port)
  try {
    const first = await rawOn(socket, payload, { responses: 1, timeoutMs: 4_000 })
    assert.ok(
      firstStatus.includes(first.statuses[0] ?? 0),
      `${label}: got ${first.text.slice(0, 200)}`,
    )
    assert.equal(
      first.statuses.length,
      1,
      `${label}: more than one response: ${first.text.slice(0, 400)}`,
    )
    if (first.closed) return first
    const next = await rawOn(socket, 'GET /canary HTTP/1.1\r\nHost: canary.test\r\n\r\n', {
      responses: 1,
      timeoutMs: 4_000,
    })
    // Either the proxy closed (fine) or the very next answer is the canary's.
    if (next.statuses.length > 0) {
      assert.equal(
        next.statuses[0],
        200,
        `${label}: after the first answer came ${next.text.slice(0, 200)}`,
      )
      assert.match(next.responses[0]?.body.toString() ?? '', /recorder GET \/canary/, label)
    } else assert.ok(next.closed, `${label}: no answer to the follow-up and not closed`)
    return first
  } finally {
    socket.destroy()
  }
}

/** A raw request line + headers for host `a`; `extra` are header lines without CRLF. */
export function req(
  method: string,
  path: string,
  extra: readonly string[] = [],
  host = 'a',
): string {
  return `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra.map((h) => `${h}\r\n`).join('')}\r\n`
}

/** Group G of the catalogue: paths, normalisation and static files (the directory plugin). */
import assert from 'node:assert/strict'
import { truncateSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { canary, type HostileEnv } from '../helpers/env.ts'
import { openSocket, raw } from '../helpers/raw.ts'
import { expectOneThenCanary } from '../helpers/checks.ts'
import { skipRow, tally } from '../helpers/tally.ts'

/**
 * The path an RFC 3986 backend resolves a forwarded target to: escapes of unreserved characters
 * decoded (§6.2.2.2), `/` the only separator (an encoded `%2F` or a `\\` is not one), dot segments
 * removed, empty segments collapsed, `;params` dropped per segment as Tomcat does.
 */
export function backendView(target: string): string {
  const path = (target.split('?')[0] ?? '').replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16))
    return /[A-Za-z0-9._~-]/.test(c) ? c : escape
  })
  const out: string[] = []
  for (const raw of path.split('/')) {
    const segment = raw.split(';')[0] ?? ''
    if (segment === '' || segment === '.') continue
    if (segment === '..') out.pop()
    else out.push(segment)
  }
  return `/${out.join('/')}`
}

export function groupG(env: () => HostileEnv): void {
  describe('G. paths and normalisation', () => {
    test('G1 no spelling of /admin slips past the rule guarding it', async () => {
      const e = env()
      const variants = [
        '/admin',
        '//admin',
        '/%61dmin',
        '/./admin',
        '/x/../admin',
        '/x/%2e%2e/admin',
        '/x/%2E%2E/admin/',
        '/admin%2f',
        '/admin;x',
        '/admin%00',
        '/a\\..\\admin',
        '/%252e%252e/admin',
        '/x/..%2fadmin',
        '/.%2e/admin',
        '/%2fadmin',
        '/ADMIN',
      ]
      const mark = e.rec.mark()
      for (const v of variants) {
        const res = await raw(e.port, `GET ${v} HTTP/1.1\r\nHost: g.test\r\n\r\n`, { responses: 1 })
        const status = res.statuses[0] ?? 0
        assert.ok([200, 400, 403, 404].includes(status), `${v}: ${res.text.slice(0, 120)}`)
      }
      for (const r of e.rec.since(mark).requests) {
        const view = backendView(r.target)
        assert.ok(
          view !== '/admin' && !view.startsWith('/admin/'),
          `${r.target} reached the upstream`,
        )
      }
      await canary(e)
      tally('G1', variants.length)
    })

    const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: static.test\r\n\r\n`

    /** Every path must be refused (400/403/404) and never return the outside file. */
    async function refusedStatic(
      e: HostileEnv,
      id: string,
      paths: readonly string[],
    ): Promise<void> {
      for (const path of paths) {
        const res = await raw(e.port, get(path), { responses: 1 })
        assert.ok(
          [400, 403, 404].includes(res.statuses[0] ?? 0),
          `${path}: ${res.text.slice(0, 120)}`,
        )
        assert.ok(!res.text.includes('outside the root') && !res.text.includes('root:'), path)
      }
      await canary(e)
      tally(id, paths.length)
    }

    test('G2 traversal never leaves the static root', async () => {
      const e = env()
      const ok = await raw(e.port, get('/f.txt'), { responses: 1 })
      assert.equal(ok.responses[0]?.body.toString(), 'static file\n')
      await refusedStatic(e, 'G2', [
        '/../../../../etc/passwd',
        '/sub/../../etc/passwd',
        '/link/../../etc/passwd',
      ])
    })

    test('G3 encoded traversal', async () => {
      await refusedStatic(env(), 'G3', [
        '/..%2f..%2fetc/passwd',
        '/%2e%2e%2f%2e%2e%2fetc/passwd',
        '/..%5c..%5cetc/passwd',
        '/%252e%252e%252fetc/passwd',
        '/%c0%ae%c0%ae/etc/passwd',
      ])
    })

    test('G4 NUL byte', async () => {
      await refusedStatic(env(), 'G4', ['/f.txt%00.png', '/f.txt%2500'])
    })

    test('G5 a symlink out of the root is refused', async () => {
      await refusedStatic(env(), 'G5', ['/link/secret.txt', '/link/'])
    })

    test('G6 dotfiles are 404', async () => {
      const e = env()
      for (const path of ['/.env', '/.git/config', '/%2eenv', '/sub/../.env']) {
        const res = await raw(e.port, get(path), { responses: 1 })
        assert.ok([403, 404].includes(res.statuses[0] ?? 0), `${path}: ${res.statuses[0]}`)
        assert.ok(!res.text.includes('SECRET'), path)
      }
      await canary(e)
      tally('G6', 4)
    })

    test('G7 a backslash is never a separator', async () => {
      await refusedStatic(env(), 'G7', [
        '/sub\\..\\.env',
        '/..\\..\\etc\\passwd',
        '/link\\secret.txt',
      ])
    })

    test('G8 a file that shrinks while it is sent ends in a cut, not a clean end', async () => {
      const e = env()
      const file = join(e.staticRoot, 'shrink.bin')
      writeFileSync(file, '')
      truncateSync(file, 20 * 1024 * 1024)
      const socket = await openSocket(e.port)
      try {
        socket.write(get('/shrink.bin'))
        const head = await new Promise<string>((resolve) => {
          let text = ''
          const onData = (d: Buffer): void => {
            text += d.toString('latin1')
            if (text.includes('\r\n\r\n')) {
              socket.off('data', onData)
              socket.pause()
              resolve(text)
            }
          }
          socket.on('data', onData)
        })
        assert.match(head, /content-length: 20971520/i)
        truncateSync(file, 1024 * 1024)
        let received = head.length - head.indexOf('\r\n\r\n') - 4
        const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
        socket.on('data', (d: Buffer) => (received += d.length))
        socket.on('error', () => undefined)
        socket.resume()
        await Promise.race([
          closed,
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error('no cut: the response hung')), 10_000),
          ),
        ])
        assert.ok(received < 20 * 1024 * 1024, 'the whole length arrived from a shrunk file')
      } finally {
        socket.destroy()
        unlinkSync(file)
      }
      await canary(e)
      tally('G8')
    })

    test(
      'G9 ACME token path',
      {
        skip: skipRow(
          'G9',
          'token rules: test/unit/acme/challenge.test.ts, test/e2e/acme.test.ts (pebble)',
        ),
      },
      () => {},
    )

    test('C8 range amplification is bounded', async () => {
      const e = env()
      const ranges = Array.from({ length: 1000 }, (_, i) => `${i}-${i}`).join(',')
      const res = await raw(
        e.port,
        `GET /big.bin HTTP/1.1\r\nHost: static.test\r\nRange: bytes=${ranges}\r\n\r\n`,
        {
          until: (t) => t.includes('\r\n\r\n'),
        },
      )
      const status = res.statuses[0] ?? 0
      assert.ok([200, 206, 416, 431].includes(status), `status ${status}`)
      if (status === 206) assert.doesNotMatch(res.text, /multipart\/byteranges/i)
      await canary(e)
      tally('C8')
    })

    test('A21 (static) a body after a static file answer is drained or the connection closed', async () => {
      const e = env()
      const smuggle = 'GET /admin HTTP/1.1\r\nHost: g.test\r\n\r\n'
      const mark = e.rec.mark()
      await expectOneThenCanary(
        e,
        `GET /f.txt HTTP/1.1\r\nHost: static.test\r\nContent-Length: ${smuggle.length}\r\n\r\n${smuggle}`,
        [200, 405],
        'A21 static',
      )
      assert.equal(e.rec.unexpected(mark).length, 0)
      tally('A21')
    })
  })
}

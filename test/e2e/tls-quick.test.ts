/** Quick start with TLS: `--upstream … --domain … --cert <dir>` serves HTTPS and HTTP/2. */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:http2'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { makeCert } from '../helpers/certs.ts'
import { runPingap, startPingap } from '../helpers/start-pingap.ts'
import { startUpstream } from '../helpers/upstreams.ts'

test('quick start with --cert <dir> serves the domain over TLS with h2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'quick-cert-'))
  const up = await startUpstream(undefined, 'quick')
  const cert = await makeCert({ dns: ['a.test'] })
  writeFileSync(join(dir, 'fullchain.pem'), cert.cert)
  writeFileSync(join(dir, 'privkey.pem'), cert.key)
  const pingap = await startPingap(
    {},
    {
      noConf: true,
      args: ['--upstream', up.addr, '--domain', 'a.test', '--cert', dir, '--addr', '127.0.0.1:0'],
      waitFor: ['pingap'],
    },
  )
  try {
    const url = pingap.servers.get('pingap')!.replace('http://', 'https://')
    const session = connect(url, { ca: cert.cert, servername: 'a.test' })
    const body = await new Promise<string>((resolve, reject) => {
      const stream = session.request({ ':path': '/hi', ':authority': 'a.test' })
      let text = ''
      stream.on('data', (c: Buffer) => (text += c.toString()))
      stream.on('end', () => resolve(text))
      stream.on('error', reject)
    })
    session.close()
    assert.equal(body, 'quick GET /hi')
    assert.equal(up.seen.at(-1)?.headers.host, 'a.test')
  } finally {
    await pingap.stop()
    await up.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('quick start: --key without --cert, or a --cert dir without a certificate, is a usage error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'quick-empty-'))
  try {
    const cases = [
      ['--upstream', '127.0.0.1:9', '--key', '/k.pem'],
      ['--upstream', '127.0.0.1:9', '--cert', dir],
      ['--cert', dir],
    ]
    for (const args of cases) {
      const { code, stderr } = await runPingap(args)
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

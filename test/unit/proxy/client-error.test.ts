import assert from 'node:assert/strict'
import { test } from 'node:test'
import { clientErrorToPingap } from '../../../src/proxy/client-error.ts'

function err(code: string, rawPacket?: string): NodeJS.ErrnoException & { rawPacket?: Buffer } {
  const e = new Error(code) as NodeJS.ErrnoException & { rawPacket?: Buffer }
  e.code = code
  if (rawPacket !== undefined) e.rawPacket = Buffer.from(rawPacket, 'latin1')
  return e
}

test('clientErrorToPingap maps parser errors to statuses and leaves others unanswered', () => {
  const cases: Array<[NodeJS.ErrnoException & { rawPacket?: Buffer }, number | undefined]> = [
    [err('HPE_INVALID_METHOD'), 400],
    [err('HPE_UNEXPECTED_CONTENT_LENGTH'), 400],
    [err('HPE_HEADER_OVERFLOW', `GET /${'a'.repeat(100)} HTTP/1.1\r\nHost: a\r\n`), 414],
    [err('HPE_HEADER_OVERFLOW', 'GET / HTTP/1.1\r\nX: aaaa'), 431],
    [err('HPE_HEADER_OVERFLOW'), 431],
    [err('HPE_CHUNK_EXTENSIONS_OVERFLOW'), 413],
    [err('ERR_HTTP_REQUEST_TIMEOUT'), 408],
    [err('ECONNRESET'), undefined],
    [err('ERR_TLS_HANDSHAKE_TIMEOUT'), undefined],
    [err('ERR_SSL_WRONG_VERSION_NUMBER'), undefined],
  ]
  for (const [e, want] of cases) assert.equal(clientErrorToPingap(e, 50)?.status, want, e.code)
})

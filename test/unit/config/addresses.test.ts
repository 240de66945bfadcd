import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  checkBackendEntry,
  checkListenAddr,
  isUnusableIp,
  splitHostPort,
} from '../../../src/config/addresses.ts'

describe('splitHostPort', () => {
  const cases = [
    ['127.0.0.1:80', { host: '127.0.0.1', port: 80 }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
    ['[::1]', { host: '::1', port: undefined }],
    ['::1', { host: '::1', port: undefined }],
    ['example.com', { host: 'example.com', port: undefined }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['a:65536', 'port 65536 is out of range (0-65535)'],
    ['a:x', 'port "x" is not a number'],
    [':80', 'missing host in ":80"'],
    ['[::1', 'missing "]" in "[::1"'],
    ['[nope]:1', '"nope" is not an IPv6 address'],
    ['bad host:1', '"bad host" is not a valid host'],
    ['-lead.example:1', '"-lead.example" is not a valid host'],
  ] as const
  for (const [text, want] of cases) test(text, () => assert.deepEqual(splitHostPort(text), want))
})

describe('checkListenAddr', () => {
  const cases = [
    ['0.0.0.0:80', undefined],
    ['[::]:443', undefined],
    ['127.0.0.1:0', undefined],
    ['localhost:6188', undefined],
    ['127.0.0.1', '"127.0.0.1" has no port (expected ip:port)'],
  ] as const
  for (const [text, want] of cases) test(text, () => assert.equal(checkListenAddr(text), want))
})

describe('checkBackendEntry', () => {
  const cases = [
    ['127.0.0.1:5001 10', { host: '127.0.0.1' }],
    ['  api.internal  ', { host: 'api.internal' }],
    ['[::1]:80 2', { host: '::1' }],
    ['h:1 0', { problem: 'weight "0" of "h:1 0" must be a positive integer' }],
    ['', { problem: '"" is not "host[:port][ weight]"' }],
  ] as const
  for (const [text, want] of cases)
    test(JSON.stringify(text), () => assert.deepEqual(checkBackendEntry(text), want))
})

describe('isUnusableIp', () => {
  const cases = [
    ['0.0.0.0', true],
    ['255.255.255.255', true],
    ['239.1.1.1', true],
    ['169.254.10.1', true],
    ['::', true],
    ['ff02::1', true],
    ['fe80::1', true],
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['::1', false],
    ['example.com', false],
  ] as const
  for (const [host, want] of cases) test(host, () => assert.equal(isUnusableIp(host), want))
})

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { PathMemo } from '../../../../../src/plugins/builtin/directory/path-memo.ts'
import { decodeRequestPath } from '../../../../../src/plugins/builtin/directory/request-path.ts'

const root = '/srv/www'

test('PathMemo resolves as decodeRequestPath plus a join onto the root', () => {
  const memo = new PathMemo(root)
  const cases: Array<[string, string | undefined]> = [
    ['/a/b%20c/%C3%A9.txt', join(root, 'a', 'b c', 'é.txt')],
    ['/', root],
    ['/docs/', join(root, 'docs')],
    ['/.env', undefined],
    ['/a%2fb', undefined],
    ['/%c0%ae', undefined],
  ]
  for (const [path, file] of cases) {
    const out = memo.resolve(path)
    assert.deepEqual(out.decoded, decodeRequestPath(path), path)
    assert.equal(out.file, file, path)
  }
})

test('PathMemo answers a known path with the same object, and keeps no long paths', () => {
  const memo = new PathMemo(root)
  assert.equal(memo.resolve('/a.txt'), memo.resolve('/a.txt'))
  const long = `/${'x'.repeat(600)}`
  assert.notEqual(memo.resolve(long), memo.resolve(long))
  assert.equal(memo.resolve(long).file, join(root, 'x'.repeat(600)))
})

test('PathMemo stays correct past its bound', () => {
  const memo = new PathMemo(root)
  for (let i = 0; i < 3000; i++) {
    assert.equal(memo.resolve(`/f${i}`).file, join(root, `f${i}`))
  }
  assert.equal(memo.resolve('/f1').file, join(root, 'f1'))
})

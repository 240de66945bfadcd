import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cacheControlOf } from '../../../src/core/http-response.ts'

test('cacheControlOf follows Pingap: max-age public or private, else private no-cache', () => {
  const cases: Array<[{ maxAge?: number; private?: boolean }, string]> = [
    [{}, 'private, no-cache'],
    [{ maxAge: 0 }, 'private, no-cache'],
    [{ maxAge: 0, private: true }, 'private, no-cache'],
    [{ maxAge: 60 }, 'public, max-age=60'],
    [{ maxAge: 60, private: false }, 'public, max-age=60'],
    [{ maxAge: 3600, private: true }, 'private, max-age=3600'],
  ]
  for (const [response, want] of cases) {
    assert.equal(cacheControlOf(response), want, JSON.stringify(response))
  }
})

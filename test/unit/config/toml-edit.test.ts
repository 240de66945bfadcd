import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ConfigError } from '../../../src/core/errors.ts'
import { removeItem, splitDottedKey } from '../../../src/config/toml-edit.ts'

describe('splitDottedKey', () => {
  const cases = [
    ['locations.api', ['locations', 'api']],
    [' plugins . "a.b" ', ['plugins', 'a.b']],
    ["servers.'x y'.sub", ['servers', 'x y', 'sub']],
    ['a."q\\"uote"', ['a', 'q"uote']],
    ['a..b', undefined],
    ['a."open', undefined],
    ['a b', undefined],
  ] as const
  for (const [text, want] of cases) {
    test(text, () => assert.deepEqual(splitDottedKey(text), want))
  }
})

describe('removeItem', () => {
  const cases: ReadonlyArray<{
    name: string
    text: string
    category: string
    item: string
    want: string
  }> = [
    {
      name: 'only the item and its sub-tables',
      text: '[plugins.a]\ncategory = "x"\n[plugins.a.sub]\nk = 1\n[plugins.b]\ncategory = "y"\n',
      category: 'plugins',
      item: 'a',
      want: '[plugins.b]\ncategory = "y"\n',
    },
    {
      name: 'a quoted name; a similar prefix stays',
      text: '[locations."a.b"]\npath = "/"\n[locations.a]\npath = "/a"\n',
      category: 'locations',
      item: 'a.b',
      want: '[locations.a]\npath = "/a"\n',
    },
    {
      name: 'a header-like line inside a multi-line string is not a header',
      text: '[certificates.c]\ntls_cert = """\n[certificates.d]\n"""\n[certificates.d]\ntls_key = "k"\n',
      category: 'certificates',
      item: 'c',
      want: '[certificates.d]\ntls_key = "k"\n',
    },
    {
      name: 'the comment paragraph right above the next table stays with it',
      text: '[upstreams.a]\naddrs = []\n# unrelated old option\n\n# about b\n[upstreams.b]\naddrs = []\n',
      category: 'upstreams',
      item: 'a',
      want: '# about b\n[upstreams.b]\naddrs = []\n',
    },
    {
      name: 'basic',
      text: '# file comment\n[basic]\nname = "x"\n[servers.s]\naddr = "127.0.0.1:1"\n',
      category: 'basic',
      item: '',
      want: '# file comment\n[servers.s]\naddr = "127.0.0.1:1"\n',
    },
  ]
  for (const c of cases) {
    test(c.name, () => assert.equal(removeItem(c.text, c.category, c.item, 'f.toml'), c.want))
  }

  test('an item defined by dotted keys is refused', () => {
    const text = '[locations]\napi.path = "/api"\nweb.path = "/"\n'
    assert.throws(() => removeItem(text, 'locations', 'api', 'f.toml'), ConfigError)
  })
})

import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { ConfigError, ConfigErrors } from '../../../src/core/errors.ts'
import { FileConfigStore, parseFileUrl } from '../../../src/config/file-store.ts'
import { parseConfig } from '../../../src/config/parse.ts'
import { openConfigStore } from '../../../src/config/store.ts'
import { configStoreContract } from './config-store.contract.ts'

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'pingap-ts-config-'))
}

async function write(file: string, text: string): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true })
  await writeFile(file, text)
}

configStoreContract('file store (directory)', async () => {
  const dir = await tempDir()
  return {
    store: new FileConfigStore(join(dir, 'conf')),
    cleanup: () => rm(dir, { recursive: true }),
  }
})

configStoreContract('file store (separation)', async () => {
  const dir = await tempDir()
  return {
    store: openConfigStore(`${join(dir, 'conf')}?separation=true`),
    cleanup: () => rm(dir, { recursive: true }),
  }
})

describe('parseFileUrl', () => {
  const cases = [
    {
      url: '/etc/pingap/pingap.toml',
      path: '/etc/pingap/pingap.toml',
      layout: 'single',
      separation: false,
    },
    { url: '/etc/pingap/conf', path: '/etc/pingap/conf', layout: 'directory', separation: false },
    {
      url: '/etc/pingap/conf?separation=true',
      path: '/etc/pingap/conf',
      layout: 'directory',
      separation: true,
    },
    {
      url: '/c?separation=yes&enable_history=true',
      path: '/c',
      layout: 'directory',
      separation: true,
    },
    { url: '/c?separation=false', path: '/c', layout: 'directory', separation: false },
    { url: 'file:///etc/p.toml', path: '/etc/p.toml', layout: 'single', separation: false },
  ] as const
  for (const c of cases) {
    test(c.url, () => {
      assert.deepEqual(parseFileUrl(c.url), {
        path: c.path,
        layout: c.layout,
        separation: c.separation,
      })
    })
  }
})

describe('file store layouts', () => {
  test('single file: items and sources; a missing file reads as empty', async () => {
    const dir = await tempDir()
    try {
      const file = join(dir, 'pingap.toml')
      const store = openConfigStore(file)
      assert.deepEqual((await store.load()).raw, {})
      await write(file, '[upstreams.u]\naddrs = ["127.0.0.1:1"]\n[locations.l]\nupstream = "u"\n')
      const loaded = await store.load()
      assert.equal(loaded.sources.get('upstreams.u'), file)
      assert.equal(loaded.sources.get('locations.l'), file)
      assert.equal(parseConfig(loaded).locations['l']?.upstream, 'u')
    } finally {
      await rm(dir, { recursive: true })
    }
  })

  test('single file: admin writes are refused with a clear error, the file is untouched', async () => {
    const dir = await tempDir()
    try {
      const file = join(dir, 'pingap.toml')
      const text = '# hand-written\n[basic]\nname = "x"\n'
      await write(file, text)
      const store = openConfigStore(file)
      await assert.rejects(store.save('basic', '', { name: 'y' }), (err: unknown) => {
        assert.ok(err instanceof ConfigError)
        assert.match(err.message, /admin writes need a directory/)
        return true
      })
      assert.equal(await readFile(file, 'utf8'), text)
    } finally {
      await rm(dir, { recursive: true })
    }
  })

  test('directory by category: every .toml below it, nothing else', async () => {
    const dir = await tempDir()
    try {
      await write(join(dir, 'basic.toml'), '[basic]\nname = "multi"\n')
      await write(
        join(dir, 'servers.toml'),
        '[servers.s]\naddr = "127.0.0.1:0"\nlocations = ["l"]\n',
      )
      await write(join(dir, 'locations.toml'), '[locations.l]\nupstream = "u"\n')
      await write(
        join(dir, 'nested', 'deeper', 'upstreams.toml'),
        '[upstreams.u]\naddrs = ["127.0.0.1:1"]\n',
      )
      // Ignored: backups, editor droppings, hidden folders (Kubernetes ..data), other extensions.
      await write(join(dir, 'locations.toml.bak'), '[locations.l]\nupstream = "old"\n')
      await write(join(dir, '.locations.toml.swp'), 'garbage [')
      await write(join(dir, '.git', 'x.toml'), '[locations.l]\nupstream = "dup"\n')
      await write(join(dir, 'README.md'), '# not config')
      const loaded = await openConfigStore(dir).load()
      const config = parseConfig(loaded)
      assert.equal(config.basic.name, 'multi')
      assert.equal(config.locations['l']?.upstream, 'u')
      assert.equal(
        loaded.sources.get('upstreams.u'),
        join(dir, 'nested', 'deeper', 'upstreams.toml'),
      )
      assert.equal(loaded.sources.get('basic'), join(dir, 'basic.toml'))
    } finally {
      await rm(dir, { recursive: true })
    }
  })

  test('separation: per-item files as Pingap writes them; the query is not part of the path', async () => {
    const dir = await tempDir()
    try {
      await write(join(dir, 'basic.toml'), '[basic]\nthreads = 1\n')
      await write(join(dir, 'upstreams', 'api.toml'), '[upstreams.api]\naddrs = ["127.0.0.1:1"]\n')
      await write(join(dir, 'locations', 'api.toml'), '[locations.api]\nupstream = "api"\n')
      const store = openConfigStore(`${dir}?separation=true`)
      assert.ok(store instanceof FileConfigStore)
      assert.equal(store.path, dir)
      const loaded = await store.load()
      assert.equal(loaded.sources.get('locations.api'), join(dir, 'locations', 'api.toml'))
      assert.equal(parseConfig(loaded).upstreams['api']?.addrs[0], '127.0.0.1:1')
    } finally {
      await rm(dir, { recursive: true })
    }
  })

  test('Kubernetes ConfigMap layout: symlinked files are read once', async () => {
    const dir = await tempDir()
    try {
      await write(
        join(dir, '..2026_01_01', 'pingap.toml'),
        '[upstreams.u]\naddrs = ["127.0.0.1:1"]\n',
      )
      await symlink('..2026_01_01', join(dir, '..data'))
      await symlink(join('..data', 'pingap.toml'), join(dir, 'pingap.toml'))
      const loaded = await openConfigStore(dir).load()
      assert.equal(loaded.sources.get('upstreams.u'), join(dir, 'pingap.toml'))
    } finally {
      await rm(dir, { recursive: true })
    }
  })

  test('a TOML syntax error names file, line and column; every broken file is reported', async () => {
    const dir = await tempDir()
    try {
      await write(join(dir, 'a.toml'), '[upstreams.u]\naddrs = ["127.0.0.1:1" x]\n')
      await write(join(dir, 'b.toml'), '[basic]\nname = "ok"\nname = "twice"\n')
      await assert.rejects(openConfigStore(dir).load(), (err: unknown) => {
        assert.ok(err instanceof ConfigErrors)
        assert.equal(err.errors.length, 2)
        const [a, b] = err.errors
        assert.equal(a?.code, 'PGT_ERR_CONFIG_PARSE')
        assert.equal(a?.file, join(dir, 'a.toml'))
        assert.match(a?.path ?? '', /^line 2, column \d+$/)
        assert.equal(b?.file, join(dir, 'b.toml'))
        assert.match(b?.message ?? '', /b\.toml: line 3, column \d+: cannot parse TOML: /)
        return true
      })
    } finally {
      await rm(dir, { recursive: true })
    }
  })

  test('the same item in two files is an error naming both files', async () => {
    const dir = await tempDir()
    try {
      await write(join(dir, 'locations.toml'), '[locations.api]\npath = "/a"\n')
      await write(join(dir, 'locations', 'api.toml'), '[locations.api]\npath = "/b"\n')
      await write(join(dir, 'x.toml'), '[basic]\nname = "a"\n')
      await write(join(dir, 'y.toml'), '[basic]\nname = "b"\n')
      await assert.rejects(openConfigStore(dir).load(), (err: unknown) => {
        assert.ok(err instanceof ConfigErrors)
        const texts = err.errors.map((e) => e.message)
        assert.equal(texts.length, 2)
        assert.ok(
          texts.some((t) => t.includes('locations.api is defined in both')),
          texts.join('\n'),
        )
        assert.ok(
          texts.some(
            (t) =>
              t.includes(join(dir, 'locations.toml')) &&
              t.includes(join(dir, 'locations', 'api.toml')),
          ),
        )
        assert.ok(
          texts.some(
            (t) => t.includes('basic is defined in both') && t.includes(join(dir, 'x.toml')),
          ),
        )
        return true
      })
    } finally {
      await rm(dir, { recursive: true })
    }
  })
})

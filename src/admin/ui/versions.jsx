// Version history: every version with who made it and what changed, a side-by-side diff of
// each, and one-click rollback (a new version with the old content).
import { useEffect, useState } from 'preact/hooks'
import { ago, api } from './api.js'
import { Issues } from './issues.jsx'

function changeText(changes) {
  if (!changes || changes.length === 0) return 'no change'
  const shown = changes.slice(0, 4).join(', ')
  return changes.length > 4 ? `${shown} … (+${changes.length - 4})` : shown
}

function useRollback(onDone) {
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  const rollback = async (target, etag) => {
    setBusy(true)
    setError(null)
    try {
      const { data } = await api('POST', '/config/rollback', {
        body: { targetVersion: target },
        etag,
      })
      onDone(data)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return { rollback, error, busy }
}

export function VersionsPage({ tick }) {
  const [list, setList] = useState(null)
  const [error, setError] = useState(null)
  const [done, setDone] = useState(null)
  const [reload, setReload] = useState(0)
  const {
    rollback,
    error: rbError,
    busy,
  } = useRollback((data) => {
    setDone(data)
    setReload((n) => n + 1)
  })
  useEffect(() => {
    api('GET', '/config/versions?limit=100').then(({ data }) => setList(data), setError)
  }, [tick, reload])
  if (error) return <Issues error={error} />
  if (!list) return <p class="loading">Loading…</p>
  return (
    <>
      <h1>History</h1>
      {done && (
        <p class="banner ok" role="status">
          Rolled back: version {done.version.number} restores version {done.version.rollbackOf}.
        </p>
      )}
      {rbError && <Issues error={rbError} />}
      <table>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Source</th>
            <th scope="col">Changes</th>
            <th scope="col">
              <span class="sr">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.versions.map((v) => (
            <tr key={v.number} class={v.number === list.current ? 'current' : ''}>
              <td>
                <a href={`#/versions/${v.number}`}>v{v.number}</a>
                {v.number === list.current && <span class="pill ok tag">current</span>}
              </td>
              <td title={v.createdAt}>{ago(v.createdAt)}</td>
              <td>{v.author ? v.author.id : ''}</td>
              <td>
                {v.source}
                {v.rollbackOf ? ` of v${v.rollbackOf}` : ''}
              </td>
              <td>{changeText(v.changes)}</td>
              <td class="actions">
                {v.number !== list.current && (
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() => rollback(v.number, list.etag)}
                  >
                    Roll back to v{v.number}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}

// Pairs the lines of a diff into rows: kept lines on both sides, removed on the left facing
// the added lines that replace them.
function rows(lines) {
  const out = []
  let i = 0
  while (i < lines.length) {
    if (lines[i].op === ' ') {
      out.push([lines[i], lines[i]])
      i++
      continue
    }
    const removed = []
    const added = []
    while (i < lines.length && lines[i].op === '-') removed.push(lines[i++])
    while (i < lines.length && lines[i].op === '+') added.push(lines[i++])
    for (let n = 0; n < Math.max(removed.length, added.length); n++)
      out.push([removed[n], added[n]])
  }
  return out
}

function Side({ line }) {
  if (!line) return <td class="empty" />
  return <td class={line.op === '-' ? 'del' : line.op === '+' ? 'add' : ''}>{line.text}</td>
}

export function VersionPage({ number, tick }) {
  const [diff, setDiff] = useState(null)
  const [meta, setMeta] = useState(null)
  const [error, setError] = useState(null)
  const [current, setCurrent] = useState(null)
  const {
    rollback,
    error: rbError,
    busy,
  } = useRollback((data) => {
    location.hash = `#/versions/${data.version.number}`
  })
  useEffect(() => {
    Promise.all([
      api('GET', `/config/versions/${number}`),
      api('GET', `/config/versions/${number}/diff`),
      api('GET', '/config/versions?limit=1'),
    ]).then(([v, d, l]) => {
      setMeta(v.data.meta)
      setDiff(d.data)
      setCurrent(l.data)
    }, setError)
  }, [number, tick])
  if (error) return <Issues error={error} />
  if (!diff || !meta || !current) return <p class="loading">Loading…</p>
  return (
    <>
      <div class="title">
        <h1>Version {number}</h1>
        <a href="#/versions">Back to history</a>
      </div>
      <p>
        {meta.source}
        {meta.rollbackOf ? ` of v${meta.rollbackOf}` : ''} by{' '}
        {meta.author ? meta.author.id : 'system'}
        {meta.author && meta.author.ip ? ` from ${meta.author.ip}` : ''},{' '}
        {new Date(meta.createdAt).toLocaleString()}
        {meta.message ? `: ${meta.message}` : ''}
      </p>
      {number !== current.current && (
        <p>
          <button type="button" disabled={busy} onClick={() => rollback(number, current.etag)}>
            Roll back to v{number}
          </button>
        </p>
      )}
      {rbError && <Issues error={rbError} />}
      <h2>Changes against {diff.from ? `v${diff.from}` : 'nothing'}</h2>
      {diff.items.length === 0 && <p>No change.</p>}
      {diff.items.map((item) => (
        <section key={item.path} class="diff">
          <h3>
            <code>{item.path}</code> <span class={`pill ${item.op}`}>{item.op}</span>
          </h3>
          <table class="sbs">
            <thead>
              <tr>
                <th scope="col">{diff.from ? `v${diff.from}` : 'before'}</th>
                <th scope="col">v{diff.to}</th>
              </tr>
            </thead>
            <tbody>
              {rows(item.lines).map(([left, right], n) => (
                <tr key={n}>
                  <Side line={left} />
                  <Side line={right} />
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
    </>
  )
}

// The audit log: who did what, when and from where, newest first, with filters.
import { useEffect, useState } from 'preact/hooks'
import { api } from './api.js'
import { Issues } from './issues.jsx'

export function AuditPage({ tick }) {
  const [entries, setEntries] = useState(null)
  const [error, setError] = useState(null)
  const [actor, setActor] = useState('')
  const [action, setAction] = useState('')
  const [query, setQuery] = useState('')
  useEffect(() => {
    api('GET', `/audit?limit=200${query}`).then(({ data }) => setEntries(data.entries), setError)
  }, [tick, query])
  const filter = (e) => {
    e.preventDefault()
    const q = new URLSearchParams()
    if (actor) q.set('actor', actor)
    if (action) q.set('action', action)
    setQuery(q.toString() ? `&${q}` : '')
  }
  return (
    <>
      <h1>Audit log</h1>
      <form class="filters" onSubmit={filter}>
        <label>
          Actor <input value={actor} onInput={(e) => setActor(e.currentTarget.value)} />
        </label>
        <label>
          Action
          <select value={action} onChange={(e) => setAction(e.currentTarget.value)}>
            <option value="">(all)</option>
            <option value="config.">config.*</option>
            <option value="auth.">auth.*</option>
            <option value="config.publish">config.publish</option>
            <option value="config.rollback">config.rollback</option>
            <option value="config.rejected">config.rejected</option>
            <option value="config.conflict">config.conflict</option>
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      {error && <Issues error={error} />}
      {!entries ? (
        <p class="loading">Loading…</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">From</th>
              <th scope="col">Action</th>
              <th scope="col">Result</th>
              <th scope="col">Version</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id}>
                <td title={e.at}>{new Date(e.at).toLocaleString()}</td>
                <td>{e.actor}</td>
                <td>{e.ip || ''}</td>
                <td>{e.action}</td>
                <td class={e.result === 'ok' ? 'ok' : 'bad'}>{e.result}</td>
                <td>{e.version ? <a href={`#/versions/${e.version}`}>v{e.version}</a> : ''}</td>
                <td class="details">{(e.changes || []).join(', ') || e.detail || ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  )
}

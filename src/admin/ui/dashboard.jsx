// The dashboard: running version, uptime, traffic, last rejected change, upstream health,
// listeners and certificate expiry. Refreshed on every live event and every 5 seconds.
import { useEffect, useState } from 'preact/hooks'
import { ago, api } from './api.js'

function duration(seconds) {
  const d = Math.floor(seconds / 86400)
  const h = Math.floor((seconds % 86400) / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m ${seconds % 60}s`
}

export function useStatus(tick) {
  const [status, setStatus] = useState(null)
  const [error, setError] = useState(null)
  useEffect(() => {
    let stop = false
    const load = () =>
      api('GET', '/config/status').then(
        ({ data }) => !stop && (setStatus(data), setError(null)),
        (err) => !stop && setError(err.message),
      )
    load()
    const timer = setInterval(load, 5000)
    return () => {
      stop = true
      clearInterval(timer)
    }
  }, [tick])
  return { status, error }
}

export function Dashboard({ tick }) {
  const { status, error } = useStatus(tick)
  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    )
  if (!status) return <p class="loading">Loading…</p>
  const { current, process: proc, traffic, lastRejected } = status
  return (
    <>
      <h1>Dashboard</h1>
      {lastRejected && (
        <section class="banner error" role="alert">
          <h2>The last config change was rejected ({ago(lastRejected.at)})</h2>
          <ul>
            {lastRejected.errors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
          <p>The previous version keeps serving.</p>
        </section>
      )}
      <div class="cards">
        <section class="card">
          <h2>Version</h2>
          <p class="big">
            <a href={`#/versions/${current.number}`}>v{current.number}</a>
          </p>
          <p>
            {current.source} by {current.author?.id ?? 'system'}, {ago(current.createdAt)}
          </p>
        </section>
        <section class="card">
          <h2>Process</h2>
          <p class="big">{duration(proc.uptimeSeconds)}</p>
          <p>
            pingap-ts {proc.version}, pid {proc.pid}, {Math.round(proc.rssBytes / 1048576)} MB
          </p>
        </section>
        <section class="card">
          <h2>Traffic</h2>
          <p class="big">{traffic.accepted}</p>
          <p>
            requests; {traffic.processing} in progress, {traffic.connections} connections
          </p>
        </section>
      </div>
      <section>
        <h2>Upstreams</h2>
        {status.upstreams.length === 0 ? (
          <p>No upstreams.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Upstream</th>
                <th scope="col">Healthy</th>
                <th scope="col">Backends</th>
              </tr>
            </thead>
            <tbody>
              {status.upstreams.map((u) => (
                <tr key={u.name}>
                  <td>
                    <a href={`#/c/upstreams/${encodeURIComponent(u.name)}`}>{u.name}</a>
                  </td>
                  <td class={u.healthy === u.total ? 'ok' : u.healthy === 0 ? 'bad' : 'warn'}>
                    {u.healthy}/{u.total}
                  </td>
                  <td>
                    {u.backends.map((b) => (
                      <span key={b.address} class={`pill ${b.healthy ? 'ok' : 'bad'}`}>
                        {b.address} {b.healthy ? 'up' : 'down'}
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <div class="cards">
        <section class="card wide">
          <h2>Listeners</h2>
          <ul class="plain">
            {status.listeners.map((l) => (
              <li key={l.addr}>
                {l.server}: <code>{l.addr}</code>
              </li>
            ))}
          </ul>
        </section>
        <section class="card wide">
          <h2>Certificates</h2>
          {status.certificates.length === 0 ? (
            <p>No certificates.</p>
          ) : (
            <ul class="plain">
              {status.certificates.map((c) => (
                <li key={c.name} class={c.daysLeft < 7 ? 'bad' : c.daysLeft < 30 ? 'warn' : ''}>
                  {c.name} ({c.domains.join(', ')}): expires in {c.daysLeft} days
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </>
  )
}

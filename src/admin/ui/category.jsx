// The list of one category's items, with links to edit and a delete button per item.
import { useEffect, useState } from 'preact/hooks'
import { api } from './api.js'
import { Issues } from './issues.jsx'
import { CATEGORIES, SUMMARY } from './schema.js'

function summary(value) {
  if (value === undefined) return ''
  return Array.isArray(value) ? value.join(', ') : String(value)
}

export function CategoryPage({ category, tick }) {
  const [state, setState] = useState({ items: null, etag: null })
  const [error, setError] = useState(null)
  const [reload, setReload] = useState(0)
  const title = (CATEGORIES.find(([c]) => c === category) || [category, category])[1]
  useEffect(() => {
    api('GET', `/config/${category}`).then(
      ({ data, etag }) => setState({ items: data, etag }),
      (err) => setError(err),
    )
  }, [category, tick, reload])
  const remove = async (name) => {
    if (!confirm(`Delete ${category}.${name}?`)) return
    setError(null)
    try {
      await api('DELETE', `/config/${category}/${encodeURIComponent(name)}`, { etag: state.etag })
      setReload((n) => n + 1)
    } catch (err) {
      setError(err)
      if (err.status === 412) setReload((n) => n + 1)
    }
  }
  const columns = SUMMARY[category] || []
  const names = state.items ? Object.keys(state.items).sort() : []
  return (
    <>
      <div class="title">
        <h1>{title}</h1>
        <a class="button" href={`#/c/${category}/+new`}>
          Add {title.replace(/s$/, '').toLowerCase()}
        </a>
      </div>
      {error && <Issues error={error} />}
      {state.items === null ? (
        <p class="loading">Loading…</p>
      ) : names.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              {columns.map((c) => (
                <th scope="col" key={c}>
                  {c}
                </th>
              ))}
              <th scope="col">
                <span class="sr">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {names.map((name) => (
              <tr key={name}>
                <td>
                  <a href={`#/c/${category}/${encodeURIComponent(name)}`}>{name}</a>
                </td>
                {columns.map((c) => (
                  <td key={c}>{summary(state.items[name][c])}</td>
                ))}
                <td class="actions">
                  <button
                    type="button"
                    class="danger"
                    onClick={() => remove(name)}
                    aria-label={`Delete ${name}`}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  )
}

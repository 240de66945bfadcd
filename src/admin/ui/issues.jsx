// Shows an API error: the message and, for 422, every issue with its path.

export function Issues({ error, skip }) {
  const issues = (error.data && error.data.issues) || []
  const shown = skip ? issues.filter((i) => !skip(i)) : issues
  return (
    <div class="banner error" role="alert">
      <p>
        <strong>
          {error.status === 412 ? 'Someone else changed the config meanwhile.' : error.message}
        </strong>
        {error.status === 412 && ' Your change was not saved; the page shows the current version.'}
      </p>
      {shown.length > 0 && (
        <ul>
          {shown.map((i, n) => (
            <li key={n}>
              {i.path && <code>{i.path}</code>} {i.message}
              {i.line ? ` (line ${i.line})` : ''}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

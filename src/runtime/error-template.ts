/** The built-in error page, used when `basic.error_template` is unset. */
export const DEFAULT_ERROR_TEMPLATE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pingap-ts: {{error_type}}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 40em; margin: 4em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.4em; }
p { line-height: 1.5; }
footer { color: #777; font-size: 0.85em; margin-top: 3em; }
</style>
</head>
<body>
<h1>{{error_type}}</h1>
<p>{{content}}</p>
<footer>pingap-ts {{version}}</footer>
</body>
</html>
`

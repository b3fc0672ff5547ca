/** A small page that uses the cookie flow: no framework, no token in JavaScript's reach. */
export const LOGIN_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>nestjs-warden sample</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; color: #222; }
  fieldset { border: 1px solid #ccc; border-radius: 6px; margin-bottom: 1rem; }
  pre { background: #f4f4f4; padding: .75rem; border-radius: 6px; min-height: 2rem; white-space: pre-wrap; overflow-wrap: anywhere; }
  button { margin-right: .5rem; }
</style>
</head>
<body>
<h1>nestjs-warden sample</h1>
<form id="login">
  <fieldset>
    <legend>Log in (tokens go to HttpOnly cookies)</legend>
    <input id="username" value="bob" aria-label="username">
    <input id="password" type="password" value="bob-password" aria-label="password">
    <button id="login-button" type="submit">Log in</button>
  </fieldset>
</form>
<button id="me">Who am I?</button>
<button id="note">Save a note (CSRF-protected POST)</button>
<button id="refresh">Refresh</button>
<button id="logout">Log out</button>
<h2>Result</h2>
<pre id="out"></pre>
<script>
  const out = document.getElementById('out');
  const csrf = () => (document.cookie.split('; ').find((c) => c.startsWith('csrf_token=')) || '').slice('csrf_token='.length);
  async function call(method, url, body) {
    const res = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    out.textContent = res.status + ' ' + text;
    out.dataset.status = String(res.status);
    return res;
  }
  document.getElementById('login').addEventListener('submit', (event) => {
    event.preventDefault();
    call('POST', '/web/login', { username: document.getElementById('username').value, password: document.getElementById('password').value });
  });
  document.getElementById('me').addEventListener('click', () => call('GET', '/web/me'));
  document.getElementById('note').addEventListener('click', () => call('POST', '/web/notes', { text: 'hello from the page' }));
  document.getElementById('refresh').addEventListener('click', () => call('POST', '/web/refresh'));
  document.getElementById('logout').addEventListener('click', () => call('POST', '/web/logout'));
</script>
</body>
</html>
`;

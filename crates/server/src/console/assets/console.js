// The IntelliAuth admin console: a hash-routed page over the management API. It reaches
// the API only through /console/api (the sealed session cookie authenticates; every change
// carries X-CSRF-Token). What an admin may do is the server's decision: a refused request
// shows the catalogue's copy, its code and the request id, like every other failure here.
'use strict';
(() => {
  const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content ?? '';
  const home = meta('ia-tenant');
  // An instance admin (an owner of the instance's own tenant) works on any tenant from one
  // session; everyone else on the tenant they signed in to.
  const instanceAdmin = meta('ia-instance-admin') === 'true';
  let tenant = (instanceAdmin && sessionStorage.getItem('ia-target-tenant')) || home;
  const csrf = meta('ia-csrf');
  const view = document.getElementById('view');

  // ---- DOM: elements from data, never from HTML strings --------------------------------

  /** h('tag.class#id', { attr: value, onclick: fn }, ...children) */
  function h(spec, attrs = {}, ...children) {
    const [, tag, rest] = spec.match(/^([a-z0-9]+)(.*)$/);
    const node = document.createElement(tag);
    for (const part of rest.match(/[.#][^.#]+/g) ?? []) {
      if (part[0] === '.') node.classList.add(part.slice(1));
      else node.id = part.slice(1);
    }
    for (const [key, value] of Object.entries(attrs ?? {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else if (key === 'value') node.value = value;
      else if (key === 'checked') node.checked = Boolean(value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    append(node, children);
    return node;
  }
  function append(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const text = (value) => (value === null || value === undefined || value === '' ? '—' : String(value));
  const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
  let uid = 0;
  const nextId = (prefix) => `${prefix}-${++uid}`;

  function field(label, control, hint) {
    const id = control.id || nextId('f');
    control.id = id;
    const hintNode = hint ? h('p.muted', { id: `${id}-hint` }, hint) : null;
    if (hint) control.setAttribute('aria-describedby', `${id}-hint`);
    return h('div', {}, h('label', { for: id }, label), control, hintNode);
  }
  function checkbox(label, name, checked) {
    const id = nextId('c');
    return h('label.inline', { for: id }, h('input', { type: 'checkbox', id, name, checked }), label);
  }
  function table(headers, rows, caption) {
    return h('div.table-wrap', {},
      h('table', {}, caption ? h('caption.sr-only', {}, caption) : null,
        h('thead', {}, h('tr', {}, headers.map((name) => h('th', { scope: 'col' }, name || h('span.sr-only', {}, 'Actions'))))),
        h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length }, 'Nothing yet.')))));
  }
  const GOOD = new Set(['ok', 'delivered', 'success']);
  const badge = (code) => h(`span.badge.${GOOD.has(code) ? 'ok' : 'bad'}`, {}, code);
  const link = (href, label) => h('a', { href }, label);
  const userLink = (id) => (id ? link(`#/users/${encodeURIComponent(id)}`, id) : '—');
  const appLink = (id) => (id ? link(`#/applications/${encodeURIComponent(id)}`, id) : '—');
  const traceLink = (id) => (id ? link(`#/logs/trace/${encodeURIComponent(id)}`, id) : '—');

  // ---- The API ---------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, body) {
      super(body?.message ?? `HTTP ${status}`);
      this.status = status;
      this.body = body ?? { code: 'server_error', message: this.message, details: {}, request_id: '' };
    }
  }

  /** A management API call; `path` is under the tenant unless it starts with /v1/. */
  async function api(method, path, body, { etag } = {}) {
    const url = path.startsWith('/v1/')
      ? `/console/api${path}`
      : `/console/api/v1/tenants/${encodeURIComponent(tenant)}${path}`;
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET') headers['x-csrf-token'] = csrf;
    if (etag) headers['if-match'] = etag;
    let response;
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, { code: 'network_error', message: 'Connection issue. Check your internet and try again.', details: {}, request_id: '' });
    }
    const raw = await response.text();
    let data = null;
    try { data = raw ? JSON.parse(raw) : null; } catch { data = null; }
    if (!response.ok) {
      const error = new ApiError(response.status, data);
      if (error.body.code === 'session_expired') signIn();
      if (error.body.code === 'step_up_required') stepUp();
      throw error;
    }
    return { data, etag: response.headers.get('etag') };
  }

  /** Signs in again (the token expired): back to this view afterwards. */
  function signIn(extra = '') {
    const back = encodeURIComponent(location.hash || '#/');
    location.assign(`/console/login?tenant=${encodeURIComponent(tenant)}&return=${back}${extra}`);
  }
  /** RFC 9470 step-up: the API wants a recent multi-factor sign-in for this change. */
  function stepUp() {
    sessionStorage.setItem('ia-stepped-up', location.hash);
    signIn('&step_up=1');
  }

  // The catalogue, for codes shown without a message of their own (log entries).
  let catalogue = null;
  async function catalogueEntry(code) {
    if (!catalogue) {
      const reply = await fetch('/v1/errors', { headers: { accept: 'application/json' } });
      const { codes } = await reply.json();
      catalogue = Object.fromEntries(codes.map((entry) => [entry.code, entry]));
    }
    return catalogue[code];
  }

  /** The failure as the catalogue says it: copy, code, request id (linked to its trace). */
  function errorAlert(error) {
    const body = error instanceof ApiError ? error.body : { code: 'server_error', message: String(error), details: {} };
    const fields = body.details?.fields;
    return h('div.alert', { role: 'alert', 'data-code': body.code },
      h('p.message', {}, body.message),
      fields ? h('ul', {}, Object.entries(fields).map(([name, problems]) => h('li', {}, `${name}: ${[problems].flat().join('; ')}`))) : null,
      h('p.meta', {}, 'Code ', h('code', {}, body.code),
        body.request_id ? [' · request ', h('a.request-id', { href: `#/logs/trace/${body.request_id}` }, body.request_id)] : null));
  }
  function notice(message) {
    return h('div.notice', { role: 'status' }, message);
  }
  /** Runs `work`, showing its failure (or `done`) in `slot`. */
  async function attempt(slot, work, done) {
    slot.replaceChildren();
    try {
      const result = await work();
      if (done) slot.append(notice(done));
      return result;
    } catch (error) {
      slot.append(errorAlert(error));
      slot.querySelector('[role=alert]')?.focus?.();
      return undefined;
    }
  }
  function form(onsubmit, ...children) {
    return h('form', { novalidate: true, onsubmit: (event) => { event.preventDefault(); onsubmit(event.target); } }, ...children);
  }
  const value = (formNode, name) => formNode.elements[name]?.value ?? '';
  /**
   * Newest request wins: `const stillNewest = ticket();` before a load, `if (!stillNewest()) return;`
   * after it, so a slow earlier answer (a page's first load racing a quick filter) never
   * replaces a later one's rows.
   */
  function newestWins() {
    let issued = 0;
    return () => { const mine = ++issued; return () => mine === issued; };
  }
  const lines = (textValue) => textValue.split(/[\n,]/).map((line) => line.trim()).filter(Boolean);
  function confirmThen(message, work) {
    return () => { if (window.confirm(message)) work(); };
  }

  // ---- Routing ---------------------------------------------------------------------------

  const routes = [
    [/^#?\/?$/, dashboard],
    [/^#\/users$/, users],
    [/^#\/users\/([^/]+)$/, userDetail],
    [/^#\/applications$/, applications],
    [/^#\/applications\/([^/]+)$/, applicationDetail],
    [/^#\/apis$/, apis],
    [/^#\/apis\/([^/]+)$/, apiDetail],
    [/^#\/roles$/, roles],
    [/^#\/organizations$/, organizations],
    [/^#\/organizations\/([^/]+)$/, organizationDetail],
    [/^#\/roles\/([^/]+)$/, roleDetail],
    [/^#\/connections$/, connections],
    [/^#\/connections\/([^/]+)$/, connectionDetail],
    [/^#\/actions$/, actions],
    [/^#\/actions\/([^/]+)$/, actionEditor],
    [/^#\/webhooks$/, webhooks],
    [/^#\/webhooks\/([^/]+)$/, subscriptionDetail],
    [/^#\/logs$/, logs],
    [/^#\/logs\/trace\/([^/]+)$/, trace],
    [/^#\/settings$/, settings],
    [/^#\/tenants$/, tenants],
  ];

  async function route() {
    const hash = location.hash || '#/';
    const [, page, param] = routes.map(([pattern, render]) => [pattern.exec(hash), render])
      .map(([match, render]) => (match ? [match, render, match[1] && decodeURIComponent(match[1])] : null))
      .find(Boolean) ?? [null, notFound, null];
    const section = `#/${hash.split('/')[1] ?? ''}`;
    for (const anchor of document.querySelectorAll('nav#nav a')) {
      const current = anchor.getAttribute('href') === (section === '#/' ? '#/' : section);
      if (current) anchor.setAttribute('aria-current', 'page'); else anchor.removeAttribute('aria-current');
    }
    document.getElementById('nav')?.classList.remove('open');
    view.replaceChildren(h('p', {}, 'Loading…'));
    try {
      await page(param);
    } catch (error) {
      view.replaceChildren(h('h1', {}, 'Something went wrong'), errorAlert(error));
    }
    const heading = view.querySelector('h1');
    document.title = `${heading?.textContent ?? 'Console'} · ${tenant} · IntelliAuth`;
    // After a navigation, focus moves to the new view; on the first load it stays at the
    // top, so the skip link is the first stop.
    if (navigated) view.focus({ preventScroll: true });
    navigated = true;
  }
  let navigated = false;

  function notFound() {
    view.replaceChildren(h('h1', {}, 'Not found'), h('p', {}, 'No console page has this address. ', link('#/', 'Go to the dashboard')));
  }

  // ---- Dashboard -------------------------------------------------------------------------

  const RANGES = { '24h': [24 * 3600e3, 'hour'], '7d': [7 * 86400e3, 'day'], '30d': [30 * 86400e3, 'day'] };
  const MFA_CODES = new Set(['totp_invalid', 'backup_code_invalid', 'webauthn_failed', 'mfa_enrolment_required']);
  const charts = [];
  const PALETTE = ['#2f4ac0', '#a61b1b', '#0b6b3a', '#8a5a00', '#6b2fa0', '#00607a', '#b3261e', '#4a5561'];

  async function dashboard() {
    const range = sessionStorage.getItem('ia-range') ?? '24h';
    const [span, bucket] = RANGES[range] ?? RANGES['24h'];
    const to = new Date();
    const from = new Date(to.getTime() - span);
    const { data } = await api('GET', `/log-counts?bucket=${bucket}&from=${from.toISOString()}&to=${to.toISOString()}`);
    const counts = data.data;
    const buckets = [...new Set(counts.map((count) => count.bucket))].sort();
    const series = (filter, key) => {
      const groups = {};
      for (const count of counts.filter(filter)) {
        const name = key(count);
        groups[name] ??= Object.fromEntries(buckets.map((b) => [b, 0]));
        groups[name][count.bucket] += count.count;
      }
      return groups;
    };
    const signIns = series((c) => c.type === 'user.login.succeeded' || c.type === 'user.login.failed',
      (c) => (c.type === 'user.login.succeeded' ? 'Succeeded' : 'Failed'));
    const failures = series((c) => c.type === 'user.login.failed', (c) => c.code);
    const mfa = series((c) => c.type === 'user.login.challenged' || (c.type === 'user.login.failed' && MFA_CODES.has(c.code)),
      (c) => (c.type === 'user.login.challenged' ? 'Second factor asked' : `Failed: ${c.code}`));
    const deliveries = series((c) => c.type === 'webhook.attempt', (c) => c.code);
    const executions = series((c) => c.type === 'action.executed', (c) => c.code);

    const rangeButtons = Object.keys(RANGES).map((name) => h('button' + (name === range ? '' : '.secondary'), {
      type: 'button', 'aria-pressed': String(name === range),
      onclick: () => { sessionStorage.setItem('ia-range', name); route(); },
    }, name));
    for (const chart of charts.splice(0)) chart.destroy();
    const grid = h('div.charts');
    view.replaceChildren(h('h1', {}, 'Dashboard'),
      h('div.actions', { role: 'group', 'aria-label': 'Time range' }, rangeButtons), grid);
    const labels = buckets.map((b) => (bucket === 'hour' ? new Date(b).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : new Date(b).toLocaleDateString()));
    grid.append(
      chartFigure('chart-sign-ins', 'Sign-ins', labels, signIns, buckets),
      chartFigure('chart-failures', 'Sign-in failures by code', labels, failures, buckets),
      chartFigure('chart-mfa', 'MFA', labels, mfa, buckets),
      chartFigure('chart-webhooks', 'Webhook deliveries by outcome', labels, deliveries, buckets),
      chartFigure('chart-actions', 'Action executions by outcome', labels, executions, buckets));
  }

  /** A stacked bar chart with a text summary that says the same for screen readers. */
  function chartFigure(id, title, labels, groups, buckets) {
    const names = Object.keys(groups).sort();
    const totals = names.map((name) => [name, buckets.reduce((sum, b) => sum + groups[name][b], 0)]);
    const total = totals.reduce((sum, [, n]) => sum + n, 0);
    const summary = total ? totals.map(([name, n]) => `${name}: ${n}`).join(', ') : 'No data in this range.';
    const canvas = h('canvas', { role: 'img', 'aria-label': `${title}. ${summary}` });
    const figure = h('figure', { id, 'data-total': total },
      h('figcaption', {}, `${title} — ${total}`), h('div.chart-box', {}, canvas), h('p.summary', {}, summary));
    if (window.Chart) {
      charts.push(new window.Chart(canvas, {
        type: 'bar',
        data: {
          labels,
          datasets: names.map((name, index) => ({
            label: name, data: buckets.map((b) => groups[name][b]), backgroundColor: PALETTE[index % PALETTE.length],
          })),
        },
        options: {
          animation: false, responsive: true, maintainAspectRatio: false,
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
          plugins: { legend: { position: 'bottom' } },
        },
      }));
    }
    return figure;
  }

  // ---- Users -----------------------------------------------------------------------------

  async function users() {
    const results = h('div');
    const slot = h('div');
    const searchTicket = newestWins();
    const search = async (query, cursor) => {
      const q = query.trim();
      const stillNewest = searchTicket();
      let rows;
      let next = null;
      if (/^usr_/.test(q)) {
        const { data } = await api('GET', `/users/${encodeURIComponent(q)}`);
        rows = [data];
      } else {
        const params = new URLSearchParams({ limit: '25' });
        if (q) params.set('email_prefix', q);
        if (cursor) params.set('cursor', cursor);
        const { data } = await api('GET', `/users?${params}`);
        rows = data.data;
        next = data.next_cursor;
      }
      if (!stillNewest()) return;
      const body = table(['Email', 'Name', 'Role', 'Status', 'Created'], rows.map((user) => h('tr', {},
        h('td', {}, link(`#/users/${encodeURIComponent(user.id)}`, user.email)),
        h('td', {}, text(user.name)),
        h('td', {}, text(user.role)),
        h('td', {}, userStatus(user)),
        h('td', {}, when(user.created_at)))), 'Users');
      if (!cursor) results.replaceChildren();
      results.append(body);
      if (next) results.append(h('button.secondary', { type: 'button', onclick: (event) => { event.target.remove(); attempt(slot, () => search(query, next)); } }, 'More'));
    };
    const searchForm = form((node) => attempt(slot, () => search(value(node, 'q'))),
      h('div.row', {}, field('Email prefix or user id', h('input', { name: 'q', type: 'search', autocomplete: 'off' })),
        h('button', { type: 'submit' }, 'Search')));
    const createSlot = h('div');
    const create = form(async (node) => {
      const body = { email: value(node, 'email'), email_verified: node.elements.email_verified.checked };
      if (value(node, 'name')) body.name = value(node, 'name');
      if (value(node, 'password')) body.password = value(node, 'password');
      if (value(node, 'role')) body.role = value(node, 'role');
      const created = await attempt(createSlot, () => api('POST', '/users', body));
      if (created) location.hash = `#/users/${encodeURIComponent(created.data.id)}`;
    },
    h('div.row', {},
      field('Email', h('input', { name: 'email', type: 'email', required: true, autocomplete: 'off' })),
      field('Name', h('input', { name: 'name', autocomplete: 'off' })),
      field('Password (optional)', h('input', { name: 'password', type: 'password', autocomplete: 'new-password' })),
      field('Admin role', h('select', { name: 'role' }, h('option', { value: '' }, 'None'),
        ['viewer', 'admin', 'owner'].map((role) => h('option', { value: role }, role))))),
    checkbox('Email verified', 'email_verified', false),
    h('div.actions', {}, h('button', { type: 'submit', id: 'create-user' }, 'Create user')), createSlot);
    view.replaceChildren(h('h1', {}, 'Users'), searchForm, slot, results,
      h('section.card', { 'aria-labelledby': 'new-user' }, h('h2#new-user', {}, 'Create a user'), create));
    await attempt(slot, () => search(''));
  }

  function userStatus(user) {
    const states = [];
    if (user.disabled) states.push('disabled');
    if (user.locked_until && new Date(user.locked_until) > new Date()) states.push('locked');
    if (!user.email_verified) states.push('unverified');
    if (user.must_reset_password) states.push('must reset password');
    return states.length ? states.join(', ') : 'active';
  }

  async function userDetail(id) {
    const path = `/users/${encodeURIComponent(id)}`;
    const { data: user, etag } = await api('GET', path);
    const slot = h('div');
    const change = (body, done) => attempt(slot, () => api('PATCH', path, body, { etag }), done).then((ok) => ok && route());
    const locked = user.failed_attempts > 0 || (user.locked_until && new Date(user.locked_until) > new Date());
    const claims = [['given_name', 'Given name'], ['family_name', 'Family name'], ['nickname', 'Nickname'], ['picture', 'Picture URL']];
    const profile = form((node) => change({
      name: value(node, 'name') || null, email: value(node, 'email'),
      ...Object.fromEntries(claims.map(([claim]) => [claim, value(node, claim) || null])),
    }, 'Saved.'),
      h('div.row', {},
        field('Email', h('input', { name: 'email', type: 'email', value: user.email, autocomplete: 'off' })),
        field('Name', h('input', { name: 'name', value: user.name ?? '', autocomplete: 'off' }))),
      h('div.row', {}, claims.map(([claim, label]) =>
        field(label, h('input', { name: claim, type: claim === 'picture' ? 'url' : 'text', value: user[claim] ?? '', autocomplete: 'off' })))),
      h('div.actions', {}, h('button', { type: 'submit' }, 'Save profile')));
    const metadata = (label, data) => h('div', {}, h('h3', {}, label), h('pre', {}, JSON.stringify(data ?? {}, null, 2)));
    const roleForm = form((node) => change({ role: value(node, 'role') || null }, 'Role changed.'),
      h('div.row', {}, field('Admin role', h('select', { name: 'role' },
        h('option', { value: '' }, 'None'),
        ['viewer', 'admin', 'owner'].map((role) => h('option', { value: role, selected: user.role === role }, role)))),
      h('button.secondary', { type: 'submit' }, 'Change role')));
    const buttons = h('div.actions', {},
      h('button.secondary', { type: 'button', id: 'toggle-disabled', onclick: () => change({ disabled: !user.disabled }) }, user.disabled ? 'Enable' : 'Disable'),
      locked ? h('button.secondary', { type: 'button', id: 'unlock', onclick: () => attempt(slot, () => api('POST', `${path}/unlock`, {}), 'Unlocked.').then(route) }, 'Unlock') : null,
      h('button.secondary', { type: 'button', onclick: () => change({ must_reset_password: true }, 'The user sets a new password at the next sign-in.') }, 'Force password reset'),
      user.email_verified ? null : h('button.secondary', { type: 'button', onclick: () => change({ email_verified: true }) }, 'Mark email verified'),
      h('button.danger', { type: 'button', id: 'delete-user', onclick: confirmThen(`Delete ${user.email}? This cannot be undone.`, async () => {
        if (await attempt(slot, () => api('DELETE', path, undefined, { etag }))) location.hash = '#/users';
      }) }, 'Delete user'));

    const [sessions, factors, history, identities, userRoles, held, allRoles] = await Promise.all([
      api('GET', `${path}/sessions`).then((r) => r.data.data).catch(() => []),
      api('GET', `${path}/factors`).then((r) => r.data.data ?? r.data).catch(() => []),
      api('GET', `/logs?user_id=${encodeURIComponent(id)}&limit=25`).then((r) => r.data.data).catch(() => []),
      api('GET', `${path}/identities`).then((r) => r.data.data).catch(() => []),
      api('GET', `${path}/roles`).then((r) => r.data.data).catch(() => []),
      api('GET', `${path}/permissions`).then((r) => r.data.data).catch(() => []),
      api('GET', '/roles?limit=100').then((r) => r.data.data).catch(() => []),
    ]);
    const assignable = allRoles.filter((role) => !userRoles.some((mine) => mine.id === role.id));
    const assign = form(async (node) => {
      if (await attempt(slot, () => api('POST', `${path}/roles`, { roles: [value(node, 'assign_role')] }), 'Role assigned.')) route();
    }, assignable.length
      ? [field('Role', h('select', { name: 'assign_role' }, assignable.map((role) => h('option', { value: role.id }, role.name)))),
        h('div.actions', {}, h('button', { type: 'submit', id: 'assign-role' }, 'Assign role'))]
      : h('p.muted', {}, allRoles.length ? 'Every role is assigned.' : 'No roles yet: create them under Roles.'));
    view.replaceChildren(
      h('h1', {}, user.email),
      h('p', {}, h('span.badge', {}, userStatus(user)), ' ', user.role ? h('span.badge', {}, `admin role: ${user.role}`) : null,
        ' ', h('span.muted', {}, `id ${user.id}${user.external_id ? ` · imported as ${user.external_id}` : ''} · created ${when(user.created_at)} · failed attempts ${user.failed_attempts}`)),
      slot,
      h('section.card', {}, h('h2', {}, 'Profile'), profile, roleForm, buttons),
      h('section.card', {}, h('h2', {}, 'Metadata'), metadata('app_metadata (applications and Actions)', user.app_metadata),
        metadata('user_metadata (the user’s)', user.user_metadata)),
      h('section.card', {}, h('h2', {}, 'Sessions'),
        table(['Started', 'Last seen', 'Expires', ''], sessions.map((session) => h('tr', {},
          h('td', {}, when(session.created_at)), h('td', {}, when(session.last_seen_at)), h('td', {}, when(session.expires_at)),
          h('td', {}, h('button.secondary', { type: 'button', onclick: () => attempt(slot, () => api('DELETE', `${path}/sessions/${session.id}`), 'Session ended.').then(route) }, 'End'))))),
        h('div.actions', {}, h('button.secondary', { type: 'button', onclick: () => attempt(slot, () => api('DELETE', `${path}/sessions`), 'All sessions ended.').then(route) }, 'End all sessions'))),
      h('section.card', {}, h('h2', {}, 'Second factors'),
        table(['Kind', 'Name', 'Confirmed'], [factors].flat().map((factor) => h('tr', {},
          h('td', {}, text(factor.kind)), h('td', {}, text(factor.name ?? factor.label)), h('td', {}, when(factor.confirmed_at))))),
        h('div.actions', {}, h('button.secondary', { type: 'button', onclick: confirmThen('Remove every second factor of this user?', () => attempt(slot, () => api('DELETE', `${path}/factors`), 'MFA reset.').then(route)) }, 'Reset MFA'))),
      h('section.card', {}, h('h2', {}, 'Linked identities'),
        table(['Connection', 'Upstream user id', 'Linked', 'Last sign-in', ''], identities.map((identity) => h('tr', {},
          h('td', {}, identity.connection), h('td', {}, h('code', {}, identity.user_id)), h('td', {}, when(identity.created_at)),
          h('td', {}, when(identity.last_sign_in_at)),
          h('td', {}, h('button.secondary', { type: 'button', onclick: confirmThen(`Unlink ${identity.connection}? If it is the user's only way in, they will need a password reset.`,
            () => attempt(slot, () => api('DELETE', `${path}/identities/${encodeURIComponent(identity.id)}?force=true`), 'Unlinked.').then(route)) }, 'Unlink')))), 'Linked identities')),
      h('section.card', {}, h('h2', {}, 'Roles'),
        table(['Role', 'Description', ''], userRoles.map((role) => h('tr', {},
          h('td', {}, link(`#/roles/${encodeURIComponent(role.id)}`, role.name)), h('td', {}, text(role.description)),
          h('td', {}, h('button.secondary', { type: 'button', onclick: () => attempt(slot, () => api('DELETE', `${path}/roles/${encodeURIComponent(role.id)}`), 'Role removed.').then(route) }, 'Remove')))), 'Roles'),
        assign,
        h('h3', {}, 'Permissions the roles give'),
        table(['API', 'Permission', 'From'], held.map((p) => h('tr', {},
          h('td', {}, h('code', {}, p.api_identifier)), h('td', {}, p.value), h('td', {}, p.roles.join(', ')))), 'Permissions')),
      h('section.card', {}, h('h2', {}, 'Sign-in history'), logTable(history)));
  }

  // ---- APIs, client grants and roles -----------------------------------------------------

  /** "value description" per line ⇄ an API's permissions. */
  const permissionsText = (permissions) => permissions.map((p) => (p.description ? `${p.value} ${p.description}` : p.value)).join('\n');
  const permissionsOf = (textValue) => textValue.split('\n').map((line) => line.trim()).filter(Boolean)
    .map((line) => { const [value, ...rest] = line.split(/\s+/); return { value, description: rest.join(' ') }; });

  async function apis() {
    const { data } = await api('GET', '/apis?limit=100');
    const slot = h('div');
    const create = form(async (node) => {
      const body = { identifier: value(node, 'identifier'), permissions: permissionsOf(value(node, 'permissions')) };
      if (value(node, 'name')) body.name = value(node, 'name');
      const created = await attempt(slot, () => api('POST', '/apis', body));
      if (created) location.hash = `#/apis/${encodeURIComponent(created.data.id)}`;
    },
    h('div.row', {},
      field('Identifier (the audience)', h('input', { name: 'identifier', type: 'url', required: true, placeholder: 'https://api.example.com/' }),
        'An absolute URI; tokens for this API carry it as aud. It cannot change.'),
      field('Name', h('input', { name: 'name' }))),
    field('Permissions (one per line: value, then a description)', h('textarea', { name: 'permissions', placeholder: 'read:reports Read reports' })),
    h('div.actions', {}, h('button', { type: 'submit', id: 'create-api' }, 'Create API')));
    view.replaceChildren(h('h1', {}, 'APIs'),
      h('p.muted', {}, 'Resource servers your applications get access tokens for, and the permissions they define.'),
      table(['Name', 'Identifier', 'Permissions', 'RBAC'], data.data.map((item) => h('tr', {},
        h('td', {}, link(`#/apis/${encodeURIComponent(item.id)}`, item.name)), h('td', {}, h('code', {}, item.identifier)),
        h('td', {}, String(item.permissions.length)), h('td', {}, item.rbac ? 'on' : 'off'))), 'APIs'),
      h('section.card', {}, h('h2', {}, 'Create an API'), slot, create));
  }

  async function apiDetail(id) {
    const path = `/apis/${encodeURIComponent(id)}`;
    const [{ data: item, etag }, grants, applications] = await Promise.all([
      api('GET', path),
      api('GET', `/client-grants?api_id=${encodeURIComponent(id)}&limit=100`).then((r) => r.data.data),
      api('GET', '/applications?limit=100').then((r) => r.data.data),
    ]);
    const slot = h('div');
    const edit = form(async (node) => {
      const lifetime = value(node, 'access_token_lifetime_s');
      const body = {
        name: value(node, 'name'),
        permissions: permissionsOf(value(node, 'permissions')),
        access_token_lifetime_s: lifetime ? Number(lifetime) : null,
        signing_alg: value(node, 'signing_alg') || null,
        rbac: node.elements.rbac.checked,
        permissions_claim: node.elements.permissions_claim.checked,
        roles_claim: node.elements.roles_claim.checked,
        user_access: value(node, 'user_access'),
      };
      if (await attempt(slot, () => api('PATCH', path, body, { etag }), 'Saved.')) route();
    },
    field('Name', h('input', { name: 'name', value: item.name })),
    field('Permissions (one per line: value, then a description)', h('textarea', { name: 'permissions', rows: 6 }, permissionsText(item.permissions)),
      'A permission left out is taken out of every role and client grant that held it.'),
    field('Access-token lifetime (seconds)', h('input', { name: 'access_token_lifetime_s', type: 'number', min: 60, max: 86400, value: item.access_token_lifetime_s ?? '' }),
      "Empty: the application's or tenant's."),
    field('Signing algorithm', h('select', { name: 'signing_alg' },
      h('option', { value: '', selected: !item.signing_alg }, "The tenant's"),
      ['RS256', 'ES256', 'EdDSA'].map((alg) => h('option', { value: alg, selected: item.signing_alg === alg }, alg))),
      'A newly chosen algorithm signs once every node publishes its keys, about a minute; the tenant\'s signs until then.'),
    checkbox('Role-based access control: a user gets only the permissions their roles give', 'rbac', item.rbac),
    checkbox('Add permissions to access tokens (permissions claim)', 'permissions_claim', item.permissions_claim),
    checkbox("Add the user's roles to access tokens (roles claim)", 'roles_claim', item.roles_claim),
    field('Which applications may get tokens for users', h('select', { name: 'user_access' },
      h('option', { value: 'all_applications', selected: item.user_access === 'all_applications' }, 'Every application'),
      h('option', { value: 'client_grant', selected: item.user_access === 'client_grant' }, 'Only applications with a user client grant'))),
    h('div.actions', {}, h('button', { type: 'submit', id: 'save-api' }, 'Save')));
    const remove = h('div.actions', {}, h('button.danger', { type: 'button', onclick: confirmThen(`Delete ${item.name}? Its client grants go, and its permissions leave every role.`, async () => {
      if (await attempt(slot, () => api('DELETE', path, undefined, { etag }))) location.hash = '#/apis';
    }) }, 'Delete API'));
    const grantForm = form(async (node) => {
      const scopes = [...node.querySelectorAll('input[name=scope]:checked')].map((box) => box.value);
      const body = { client_id: value(node, 'client_id'), api_id: id, subject_type: value(node, 'subject_type'), scopes };
      if (await attempt(slot, () => api('POST', '/client-grants', body), 'Granted.')) route();
    },
    h('div.row', {},
      field('Application', h('select', { name: 'client_id' }, applications.map((app) => h('option', { value: app.client_id }, app.name)))),
      field('For', h('select', { name: 'subject_type' }, h('option', { value: 'client' }, 'the application itself (client credentials)'),
        h('option', { value: 'user' }, 'its users')))),
    h('fieldset', {}, h('legend', {}, 'Permissions'), item.permissions.map((p) => {
      const box = checkbox(p.value, 'scope', false);
      box.querySelector('input').value = p.value;
      return box;
    })),
    h('div.actions', {}, h('button', { type: 'submit', id: 'create-grant' }, 'Grant')));
    const appName = (clientId) => applications.find((app) => app.client_id === clientId)?.name ?? clientId;
    view.replaceChildren(h('h1', {}, item.name),
      h('p.muted', {}, 'audience=', h('code', { id: 'api-identifier' }, item.identifier)),
      slot,
      h('section.card', {}, h('h2', {}, 'Settings'), edit, remove),
      h('section.card', {}, h('h2', {}, 'Client grants'),
        table(['Application', 'For', 'Permissions', ''], grants.map((grant) => h('tr', {},
          h('td', {}, appLink(grant.client_id), ' ', h('span.muted', {}, appName(grant.client_id))), h('td', {}, grant.subject_type),
          h('td', {}, grant.scopes.join(' ') || '—'),
          h('td', {}, h('button.secondary', { type: 'button', onclick: confirmThen('Remove this grant?',
            () => attempt(slot, () => api('DELETE', `/client-grants/${encodeURIComponent(grant.id)}`), 'Removed.').then(route)) }, 'Remove')))), 'Client grants'),
        grantForm));
  }

  /** Checkboxes for every permission of every API: `api_id value` each. */
  function permissionPicker(allApis, held) {
    const has = (apiId, permission) => held.some((p) => p.api_id === apiId && p.value === permission);
    return allApis.map((item) => h('fieldset', {}, h('legend', {}, `${item.name} (${item.identifier})`),
      item.permissions.length ? item.permissions.map((p) => {
        const box = checkbox(p.value, 'permission', has(item.id, p.value));
        box.querySelector('input').value = `${item.id} ${p.value}`;
        return box;
      }) : h('p.muted', {}, 'No permissions defined.')));
  }
  const pickedPermissions = (node) => [...node.querySelectorAll('input[name=permission]:checked')]
    .map((box) => { const [api_id, value] = box.value.split(' '); return { api_id, value }; });

  async function roles() {
    const [{ data }, allApis] = await Promise.all([api('GET', '/roles?limit=100'), api('GET', '/apis?limit=100').then((r) => r.data.data)]);
    const slot = h('div');
    const create = form(async (node) => {
      const body = { name: value(node, 'name'), description: value(node, 'description'), permissions: pickedPermissions(node) };
      const created = await attempt(slot, () => api('POST', '/roles', body));
      if (created) location.hash = `#/roles/${encodeURIComponent(created.data.id)}`;
    },
    h('div.row', {}, field('Name', h('input', { name: 'name', required: true })), field('Description', h('input', { name: 'description' }))),
    permissionPicker(allApis, []),
    h('div.actions', {}, h('button', { type: 'submit', id: 'create-role' }, 'Create role')));
    view.replaceChildren(h('h1', {}, 'Roles'),
      h('p.muted', {}, 'Permissions over one or more APIs, assigned to users. With RBAC on, an API gives a user only what their roles hold.'),
      table(['Name', 'Description', 'Permissions'], data.data.map((role) => h('tr', {},
        h('td', {}, link(`#/roles/${encodeURIComponent(role.id)}`, role.name)), h('td', {}, text(role.description)),
        h('td', {}, String(role.permissions.length)))), 'Roles'),
      h('section.card', {}, h('h2', {}, 'Create a role'), slot, create));
  }

  async function roleDetail(id) {
    const path = `/roles/${encodeURIComponent(id)}`;
    const [{ data: role, etag }, allApis, members] = await Promise.all([
      api('GET', path), api('GET', '/apis?limit=100').then((r) => r.data.data),
      api('GET', `${path}/users?limit=100`).then((r) => r.data.data),
    ]);
    const slot = h('div');
    const edit = form(async (node) => {
      const body = { name: value(node, 'name'), description: value(node, 'description'), permissions: pickedPermissions(node) };
      if (await attempt(slot, () => api('PATCH', path, body, { etag }), 'Saved.')) route();
    },
    h('div.row', {}, field('Name', h('input', { name: 'name', value: role.name })), field('Description', h('input', { name: 'description', value: role.description }))),
    permissionPicker(allApis, role.permissions),
    h('div.actions', {}, h('button', { type: 'submit', id: 'save-role' }, 'Save')));
    const remove = h('div.actions', {}, h('button.danger', { type: 'button', onclick: confirmThen(`Delete ${role.name}? Its users lose its permissions at their next token.`, async () => {
      if (await attempt(slot, () => api('DELETE', path, undefined, { etag }))) location.hash = '#/roles';
    }) }, 'Delete role'));
    view.replaceChildren(h('h1', {}, role.name), slot,
      h('section.card', {}, edit, remove),
      h('section.card', {}, h('h2', {}, 'Users with this role'),
        table(['User'], members.map((member) => h('tr', {}, h('td', {}, userLink(member.user_id)))), 'Users with this role')));
  }

  // ---- Organizations ---------------------------------------------------------------------

  const metadataText = (metadata) => Object.entries(metadata ?? {}).map(([key, val]) => `${key}=${val}`).join('\n');
  const metadataOf = (textValue) => Object.fromEntries(lines(textValue).map((line) => {
    const at = line.indexOf('=');
    return at < 0 ? [line, ''] : [line.slice(0, at).trim(), line.slice(at + 1).trim()];
  }));

  async function organizations() {
    const { data } = await api('GET', '/organizations?limit=100');
    const slot = h('div');
    const create = form(async (node) => {
      const body = { name: value(node, 'name') };
      if (value(node, 'display_name')) body.display_name = value(node, 'display_name');
      const created = await attempt(slot, () => api('POST', '/organizations', body));
      if (created) location.hash = `#/organizations/${encodeURIComponent(created.data.id)}`;
    },
    h('div.row', {},
      field('Name (what organization= names)', h('input', { name: 'name', required: true, autocomplete: 'off' })),
      field('Display name', h('input', { name: 'display_name' }))),
    h('div.actions', {}, h('button', { type: 'submit', id: 'create-organization' }, 'Create organization')));
    view.replaceChildren(h('h1', {}, 'Organizations'),
      h('p.muted', {}, 'Your customers: applications with organizations allowed or required sign users in to one of them.'),
      table(['Name', 'Display name'], data.data.map((item) => h('tr', {},
        h('td', {}, link(`#/organizations/${encodeURIComponent(item.id)}`, item.name)), h('td', {}, item.display_name))), 'Organizations'),
      h('section.card', {}, h('h2', {}, 'Create an organization'), slot, create));
  }

  async function organizationDetail(id) {
    const path = `/organizations/${encodeURIComponent(id)}`;
    const [{ data: item, etag }, members, allRoles, invitations] = await Promise.all([
      api('GET', path),
      api('GET', `${path}/members?limit=100`).then((r) => r.data.data),
      api('GET', '/roles?limit=100').then((r) => r.data.data).catch(() => []),
      api('GET', `${path}/invitations?limit=100`).then((r) => r.data.data).catch(() => []),
    ]);
    const slot = h('div');
    const roleName = (roleId) => allRoles.find((role) => role.id === roleId)?.name ?? roleId;
    const edit = form(async (node) => {
      const body = { display_name: value(node, 'display_name'), metadata: metadataOf(value(node, 'metadata')) };
      if (await attempt(slot, () => api('PATCH', path, body, { etag }), 'Saved.')) route();
    },
    field('Display name', h('input', { name: 'display_name', value: item.display_name })),
    field('Metadata (key=value, one per line)', h('textarea', { name: 'metadata' }, metadataText(item.metadata)),
      'Given to Actions as event.organization.metadata.'),
    h('div.actions', {}, h('button', { type: 'submit', id: 'save-organization' }, 'Save')));
    const remove = h('div.actions', {}, h('button.danger', { type: 'button', onclick: confirmThen(`Delete ${item.name}? Its members stay users of the tenant.`, async () => {
      if (await attempt(slot, () => api('DELETE', path, undefined, { etag }))) location.hash = '#/organizations';
    }) }, 'Delete organization'));
    const add = form(async (node) => {
      const email = value(node, 'member_email');
      const found = await attempt(slot, () => api('GET', `/users?email=${encodeURIComponent(email)}`));
      const user = found?.data.data[0];
      if (!user) { if (found) slot.append(notice(`No user has the email ${email}.`)); return; }
      if (await attempt(slot, () => api('POST', `${path}/members`, { users: [user.id] }), 'Member added.')) route();
    },
    field('Add a member by email', h('input', { name: 'member_email', type: 'email', required: true, autocomplete: 'off' })),
    h('div.actions', {}, h('button', { type: 'submit', id: 'add-member' }, 'Add member')));
    const rolesFor = (member) => form(async (node) => {
      const chosen = [...node.querySelectorAll('input[name=member_role]:checked')].map((box) => box.value);
      if (await attempt(slot, () => api('PUT', `${path}/members/${encodeURIComponent(member.user_id)}/roles`, { roles: chosen }), 'Roles saved.')) route();
    }, allRoles.map((role) => {
      const box = checkbox(role.name, 'member_role', member.roles.includes(role.id));
      box.querySelector('input').value = role.id;
      return box;
    }), allRoles.length ? h('button.secondary', { type: 'submit' }, 'Save roles') : null);
    const invite = form(async (node) => {
      const roles = [...node.querySelectorAll('input[name=invite_role]:checked')].map((box) => box.value);
      const sent = await attempt(slot, () => api('POST', `${path}/invitations`, { email: value(node, 'invite_email'), roles }));
      if (sent) slot.append(notice(`Invitation mailed to ${sent.data.email}. Its link: ${sent.data.invitation_url}`));
    },
    field('Invite by email', h('input', { name: 'invite_email', type: 'email', required: true, autocomplete: 'off' }),
      'A link is mailed; whoever signs in or registers with this address and accepts it becomes a member.'),
    allRoles.map((role) => {
      const box = checkbox(role.name, 'invite_role', false);
      box.querySelector('input').value = role.id;
      return box;
    }),
    h('div.actions', {}, h('button', { type: 'submit', id: 'invite-member' }, 'Send invitation')));
    const pending = invitations.filter((invitation) => !invitation.accepted_at);
    view.replaceChildren(h('h1', {}, item.display_name),
      h('p.muted', {}, 'organization=', h('code', { id: 'organization-name' }, item.name), ` · id ${item.id}`),
      slot,
      h('section.card', {}, edit, remove),
      h('section.card', {}, h('h2', {}, 'Members'),
        table(['User', 'Roles in this organization', ''], members.map((member) => h('tr', {},
          h('td', {}, userLink(member.user_id)),
          h('td', {}, member.roles.map(roleName).join(', ') || '—', rolesFor(member)),
          h('td', {}, h('button.secondary', { type: 'button', onclick: () => attempt(slot, () => api('DELETE', `${path}/members/${encodeURIComponent(member.user_id)}`), 'Removed.').then(route) }, 'Remove')))), 'Members'),
        add),
      h('section.card', {}, h('h2', {}, 'Invitations'),
        table(['Email', 'Expires', ''], pending.map((invitation) => h('tr', {},
          h('td', {}, invitation.email), h('td', {}, when(invitation.expires_at)),
          h('td', {}, h('button.secondary', { type: 'button', onclick: () => attempt(slot, () => api('DELETE', `${path}/invitations/${encodeURIComponent(invitation.id)}`), 'Withdrawn.').then(route) }, 'Withdraw')))), 'Invitations'),
        invite));
  }

  // ---- Connections (upstream identity providers) -----------------------------------------

  const PRESETS = ['google', 'microsoft', 'github', 'gitlab', 'apple'];
  const ENDPOINTS = ['issuer', 'authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri'];
  const mappingText = (mapping) => Object.entries(mapping ?? {}).map(([target, claim]) => `${target}=${claim}`).join('\n');
  const mappingOf = (textValue) => Object.fromEntries(lines(textValue).map((line) => line.split('=').map((part) => part.trim())));

  async function connections() {
    const { data } = await api('GET', '/connections?limit=100');
    const slot = h('div');
    const create = form(async (node) => {
      const kind = value(node, 'kind');
      const body = { name: value(node, 'name'), client_id: value(node, 'client_id') };
      if (PRESETS.includes(kind)) body.preset = kind; else body.strategy = kind;
      for (const name of ['display_name', 'client_secret', 'team_id', 'key_id', ...ENDPOINTS]) if (value(node, name)) body[name] = value(node, name);
      const created = await attempt(slot, () => api('POST', '/connections', body));
      if (created) location.hash = `#/connections/${encodeURIComponent(created.data.id)}`;
    },
    h('div.row', {},
      field('Name (what connection= names)', h('input', { name: 'name', required: true, autocomplete: 'off' })),
      field('Kind', h('select', { name: 'kind' }, PRESETS.map((preset) => h('option', { value: preset }, preset)),
        h('option', { value: 'oidc' }, 'OpenID Connect'), h('option', { value: 'oauth2' }, 'OAuth 2.0')))),
    h('div.row', {},
      field('Client id', h('input', { name: 'client_id', required: true, autocomplete: 'off' })),
      field('Client secret', h('textarea', { name: 'client_secret', autocomplete: 'off' }), 'Apple: paste the .p8 key and give its Team ID and Key ID.')),
    h('div.row', {},
      field('Apple Team ID', h('input', { name: 'team_id', autocomplete: 'off' })),
      field('Apple Key ID', h('input', { name: 'key_id', autocomplete: 'off' }))),
    field('Button label', h('input', { name: 'display_name' }), "The preset's name when empty."),
    h('fieldset', {}, h('legend', {}, 'Endpoints (OpenID Connect: the issuer is enough; OAuth 2.0: authorization, token, userinfo)'),
      ENDPOINTS.map((name) => field(name.replace(/_/g, ' '), h('input', { name, type: 'url' })))),
    h('div.actions', {}, h('button', { type: 'submit', id: 'create-connection' }, 'Create connection')));
    view.replaceChildren(h('h1', {}, 'Connections'),
      h('p.muted', {}, 'Upstream identity providers: a button per enabled connection on the sign-in and registration pages.'),
      table(['Name', 'Button', 'Kind', 'Enabled'], data.data.map((connection) => h('tr', {},
        h('td', {}, link(`#/connections/${encodeURIComponent(connection.id)}`, connection.name)), h('td', {}, connection.display_name),
        h('td', {}, connection.preset ?? connection.strategy), h('td', {}, connection.enabled ? 'yes' : 'no'))), 'Connections'),
      h('section.card', {}, h('h2', {}, 'Create a connection'), slot, create));
  }

  async function connectionDetail(id) {
    const path = `/connections/${encodeURIComponent(id)}`;
    const { data: connection, etag } = await api('GET', path);
    const slot = h('div');
    const edit = form(async (node) => {
      const body = {
        display_name: value(node, 'display_name'),
        client_id: value(node, 'client_id'),
        scopes: value(node, 'scopes').split(/\s+/).filter(Boolean),
        mapping: mappingOf(value(node, 'mapping')),
        enabled: node.elements.enabled.checked,
      };
      for (const name of [...ENDPOINTS, 'team_id', 'key_id']) body[name] = value(node, name) || null;
      if (value(node, 'client_secret')) body.client_secret = value(node, 'client_secret');
      if (await attempt(slot, () => api('PATCH', path, body, { etag }), 'Saved.')) route();
    },
    h('div.row', {},
      field('Button label', h('input', { name: 'display_name', value: connection.display_name })),
      field('Client id', h('input', { name: 'client_id', value: connection.client_id }))),
    field('Client secret', h('input', { name: 'client_secret', type: 'password', autocomplete: 'new-password' }),
      connection.client_secret_set ? 'Stored (never shown). Type a new one to replace it.' : 'None stored.'),
    h('div.row', {},
      field('Apple Team ID', h('input', { name: 'team_id', value: connection.team_id ?? '' })),
      field('Apple Key ID', h('input', { name: 'key_id', value: connection.key_id ?? '' }))),
    h('fieldset', {}, h('legend', {}, 'Endpoints'),
      ENDPOINTS.map((name) => field(name.replace(/_/g, ' '), h('input', { name, type: 'url', value: connection[name] ?? '' })))),
    field('Scopes (space-separated)', h('input', { name: 'scopes', value: connection.scopes.join(' ') })),
    field('Claim mapping (target=claim, one per line)', h('textarea', { name: 'mapping' }, mappingText(connection.mapping)),
      'Targets: name, given_name, family_name, nickname, picture, app_metadata.<key>.'),
    checkbox('Enabled (shows its button)', 'enabled', connection.enabled),
    h('div.actions', {}, h('button', { type: 'submit', id: 'save-connection' }, 'Save')));
    const remove = h('div.actions', {}, h('button.danger', { type: 'button', onclick: confirmThen(`Delete ${connection.name}? Every identity linked through it is unlinked.`, async () => {
      if (await attempt(slot, () => api('DELETE', path, undefined, { etag }))) location.hash = '#/connections';
    }) }, 'Delete connection'));
    view.replaceChildren(h('h1', {}, connection.display_name),
      h('p.muted', {}, `${connection.preset ?? connection.strategy} · connection=`, h('code', {}, connection.name)),
      h('section.card', {}, h('h2', {}, 'Redirect URI'), h('p', {}, 'Register this at the provider:'), h('pre', { id: 'connection-redirect-uri' }, connection.redirect_uri)),
      slot, h('section.card', {}, edit, remove));
  }

  // ---- Applications ----------------------------------------------------------------------

  const GRANTS = ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code',
    'urn:ietf:params:oauth:grant-type:token-exchange'];
  /** Grants only a confidential client may have: not ticked for a new application. */
  const SERVER_GRANTS = ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'];

  async function applications() {
    const { data } = await api('GET', '/applications?limit=100');
    const slot = h('div');
    const create = form(async (node) => {
      const body = {
        name: value(node, 'name'),
        client_type: value(node, 'client_type'),
        redirect_uris: lines(value(node, 'redirect_uris')),
        allowed_grants: GRANTS.filter((grant) => node.elements[`grant-${grant}`].checked),
        first_party: node.elements.first_party.checked,
      };
      const created = await attempt(slot, () => api('POST', '/applications', body));
      if (created) {
        if (created.data.client_secret) sessionStorage.setItem(`ia-secret-${created.data.id}`, created.data.client_secret);
        location.hash = `#/applications/${encodeURIComponent(created.data.id)}`;
      }
    },
    h('div.row', {},
      field('Name', h('input', { name: 'name', required: true, autocomplete: 'off' })),
      field('Type', h('select', { name: 'client_type' }, h('option', { value: 'public' }, 'Public (SPA, mobile)'), h('option', { value: 'confidential' }, 'Confidential (server)')))),
    field('Redirect URIs (one per line)', h('textarea', { name: 'redirect_uris' })),
    h('fieldset', {}, h('legend', {}, 'Grants'), GRANTS.map((grant) => checkbox(grant, `grant-${grant}`, !SERVER_GRANTS.includes(grant)))),
    checkbox('First-party (no consent screen)', 'first_party', false),
    h('div.actions', {}, h('button', { type: 'submit', id: 'create-application' }, 'Create application')));
    view.replaceChildren(h('h1', {}, 'Applications'),
      table(['Name', 'Client id', 'Type', 'Grants'], data.data.map((app) => h('tr', {},
        h('td', {}, link(`#/applications/${encodeURIComponent(app.id)}`, app.name)), h('td', {}, h('code', {}, app.client_id)),
        h('td', {}, app.client_type), h('td', {}, app.allowed_grants.join(', ')))), 'Applications'),
      h('section.card', {}, h('h2', {}, 'Create an application'), slot, create));
  }

  function quickStart(app) {
    const issuer = `${location.origin}/t/${tenant}`;
    const redirect = app.redirect_uris[0] ?? `${location.origin}/callback`;
    const spa = `import { createClient } from '@intelliauth/spa-js';\n\nconst auth = createClient({\n  issuer: '${issuer}',\n  clientId: '${app.client_id}',\n  redirectUri: '${redirect}',\n});\n\n// Sign in: await auth.loginWithRedirect();\n// On ${redirect}: await auth.handleRedirectCallback();`;
    const server = app.client_type === 'confidential'
      ? `# Discovery: ${issuer}/.well-known/openid-configuration\n# Machine-to-machine token:\ncurl -s -u '${app.client_id}:<client secret>' \\\n  -d grant_type=client_credentials ${issuer}/oauth/token`
      : `# Discovery: ${issuer}/.well-known/openid-configuration`;
    return h('section.card', {}, h('h2', {}, 'Quick start'),
      h('h3', {}, 'Single-page app with @intelliauth/spa-js'), h('pre', {}, spa),
      h('h3', {}, 'Confidential server'), h('pre', {}, server));
  }

  async function applicationDetail(id) {
    const path = `/applications/${encodeURIComponent(id)}`;
    const { data: app, etag } = await api('GET', path);
    const slot = h('div');
    const once = sessionStorage.getItem(`ia-secret-${id}`);
    sessionStorage.removeItem(`ia-secret-${id}`);
    const secretSlot = h('div', {}, once ? secretNotice('Client secret', once) : null);
    const settings = app.token_settings ?? {};
    const edit = form(async (node) => {
      const number = (name) => (value(node, name) === '' ? null : Number(value(node, name)));
      const body = {
        name: value(node, 'name'),
        redirect_uris: lines(value(node, 'redirect_uris')),
        post_logout_redirect_uris: lines(value(node, 'post_logout_redirect_uris')),
        allowed_grants: GRANTS.filter((grant) => node.elements[`grant-${grant}`].checked),
        allowed_scopes: value(node, 'allowed_scopes').split(/\s+/).filter(Boolean),
        first_party: node.elements.first_party.checked,
        require_par: node.elements.require_par.checked,
        dpop_bound_access_tokens: node.elements.dpop_bound_access_tokens.checked,
        backchannel_logout_uri: value(node, 'backchannel_logout_uri') || null,
        frontchannel_logout_uri: value(node, 'frontchannel_logout_uri') || null,
        organization_usage: value(node, 'organization_usage'),
        mfa: value(node, 'mfa') || null,
        token_settings: {
          access_token_lifetime_s: number('access_token_lifetime_s'),
          refresh_absolute_s: number('refresh_absolute_s'),
          refresh_idle_s: number('refresh_idle_s'),
        },
      };
      if (await attempt(slot, () => api('PATCH', path, body, { etag }), 'Saved.')) route();
    },
    field('Name', h('input', { name: 'name', value: app.name, autocomplete: 'off' })),
    field('Redirect URIs (one per line, matched exactly)', h('textarea', { name: 'redirect_uris', value: app.redirect_uris.join('\n') })),
    field('Post-logout redirect URIs', h('textarea', { name: 'post_logout_redirect_uris', value: app.post_logout_redirect_uris.join('\n') })),
    h('fieldset', {}, h('legend', {}, 'Grants'), GRANTS.map((grant) => checkbox(grant, `grant-${grant}`, app.allowed_grants.includes(grant)))),
    field('Scopes (space-separated)', h('input', { name: 'allowed_scopes', value: app.allowed_scopes.join(' ') })),
    checkbox('First-party (no consent screen)', 'first_party', app.first_party),
    checkbox('Require pushed authorization requests (PAR)', 'require_par', app.require_par),
    checkbox('Require DPoP-bound tokens (RFC 9449)', 'dpop_bound_access_tokens', app.dpop_bound_access_tokens),
    field('Organizations', h('select', { name: 'organization_usage' },
      [['deny', 'Not for organizations'], ['allow', 'Users may sign in to an organization'], ['require', 'Users always sign in to an organization (picker)']]
        .map(([usage, label]) => h('option', { value: usage, selected: app.organization_usage === usage }, label)))),
    field('Back-channel logout URI', h('input', { name: 'backchannel_logout_uri', type: 'url', value: app.backchannel_logout_uri ?? '' }),
      'Logout tokens are posted here when a session that signed in to this application ends.'),
    field('Front-channel logout URI', h('input', { name: 'frontchannel_logout_uri', type: 'url', value: app.frontchannel_logout_uri ?? '' }),
      'Loaded in a hidden frame, with iss and sid, when the user signs out at the end-session endpoint.'),
    field('MFA for this application', h('select', { name: 'mfa' }, h('option', { value: '' }, "The tenant's policy"),
      ['off', 'optional', 'required'].map((mode) => h('option', { value: mode, selected: app.mfa === mode }, mode)))),
    h('fieldset', {}, h('legend', {}, "Token lifetimes (seconds; empty: the tenant's)"), h('div.row', {},
      ['access_token_lifetime_s', 'refresh_absolute_s', 'refresh_idle_s'].map((name) =>
        field(name.replace(/_/g, ' '), h('input', { name, type: 'number', min: '1', value: settings[name] ?? '' }))))),
    h('div.actions', {}, h('button', { type: 'submit', id: 'save-application' }, 'Save')));
    const buttons = h('div.actions', {},
      app.client_type === 'confidential' ? h('button.secondary', { type: 'button', id: 'rotate-secret', onclick: confirmThen('Rotate the client secret? The current one stops working at once.', async () => {
        const rotated = await attempt(slot, () => api('POST', `${path}/rotate-secret`, {}));
        if (rotated) secretSlot.replaceChildren(secretNotice('New client secret', rotated.data.client_secret));
      }) }, 'Rotate secret') : null,
      h('button.danger', { type: 'button', onclick: confirmThen(`Delete ${app.name}?`, async () => {
        if (await attempt(slot, () => api('DELETE', path, undefined, { etag }))) location.hash = '#/applications';
      }) }, 'Delete application'));
    view.replaceChildren(h('h1', {}, app.name), h('p.muted', {}, `Client id `, h('code', {}, app.client_id), ` · ${app.client_type}`),
      secretSlot, slot, h('section.card', {}, edit, buttons), quickStart(app));
  }

  function secretNotice(label, secret) {
    return h('div.notice', { role: 'status' }, h('p', {}, `${label} — shown once; store it now:`), h('p.secret', { 'data-secret': '' }, secret));
  }

  // ---- Actions ---------------------------------------------------------------------------

  const TRIGGERS = ['post-login', 'pre-user-registration', 'post-user-registration'];
  const TEMPLATES = {
    'post-login': 'exports.onExecutePostLogin = async (event, api) => {\n  // api.idToken.setCustomClaim(\'https://example.com/plan\', event.user.app_metadata.plan);\n};\n',
    'pre-user-registration': 'exports.onExecutePreUserRegistration = async (event, api) => {\n};\n',
    'post-user-registration': 'exports.onExecutePostUserRegistration = async (event, api) => {\n};\n',
  };

  async function actions() {
    const [{ data }, executions] = await Promise.all([api('GET', '/actions?limit=100'),
      api('GET', '/action-executions?limit=25').then((r) => r.data.data).catch(() => [])]);
    const slot = h('div');
    const byTrigger = TRIGGERS.map((trigger) => {
      const list = data.data.filter((action) => action.trigger === trigger).sort((a, b) => a.position - b.position);
      const move = (index, by) => {
        const ids = list.map((action) => action.id);
        [ids[index], ids[index + by]] = [ids[index + by], ids[index]];
        attempt(slot, () => api('PUT', `/triggers/${trigger}/order`, { action_ids: ids }), 'Order saved.').then((ok) => ok && route());
      };
      return h('section.card', {}, h('h2', {}, trigger),
        table(['Order', 'Name', 'Version', 'Enabled', 'Move'], list.map((action, index) => h('tr', {},
          h('td', {}, String(index + 1)),
          h('td', {}, link(`#/actions/${encodeURIComponent(action.id)}`, action.name)),
          h('td', {}, String(action.version)), h('td', {}, action.enabled ? 'yes' : 'no'),
          h('td', {},
            h('button.secondary', { type: 'button', disabled: index === 0, 'aria-label': `Move ${action.name} up`, onclick: () => move(index, -1) }, '↑'), ' ',
            h('button.secondary', { type: 'button', disabled: index === list.length - 1, 'aria-label': `Move ${action.name} down`, onclick: () => move(index, 1) }, '↓')))), `${trigger} Actions`));
    });
    const create = form(async (node) => {
      const trigger = value(node, 'trigger');
      const created = await attempt(slot, () => api('POST', '/actions', { name: value(node, 'name'), trigger, code: TEMPLATES[trigger] }));
      if (created) location.hash = `#/actions/${encodeURIComponent(created.data.id)}`;
    }, h('div.row', {}, field('Name', h('input', { name: 'name', required: true, autocomplete: 'off' })),
      field('Trigger', h('select', { name: 'trigger' }, TRIGGERS.map((t) => h('option', { value: t }, t)))),
      h('button', { type: 'submit' }, 'Create Action')));
    view.replaceChildren(h('h1', {}, 'Actions'), slot, byTrigger,
      h('section.card', {}, h('h2', {}, 'Create an Action'), create),
      h('section.card', {}, h('h2', {}, 'Recent executions'), executionTable(executions)));
  }

  function executionTable(executions) {
    return table(['Time', 'Action', 'Outcome', 'Duration', 'Request', 'Details'], executions.map((run) => h('tr', {},
      h('td', {}, when(run.created_at)), h('td', {}, link(`#/actions/${encodeURIComponent(run.action_id)}`, `${run.action_name} v${run.action_version}`)),
      h('td', {}, badge(run.outcome)), h('td', {}, `${Number(run.duration_ms).toFixed(1)} ms`),
      h('td', {}, traceLink(run.request_id)),
      h('td', {}, executionDetails(run)))), 'Action executions');
  }

  function executionDetails(run) {
    const parts = [];
    if (run.reason) parts.push(h('p', {}, `Reason: ${run.reason}`));
    if (run.error) parts.push(h('p', {}, `Error: ${run.error}`));
    if (run.stack) parts.push(h('pre.stack', {}, run.stack));
    if (run.console?.length) parts.push(h('pre.console', {}, run.console.join('\n')));
    return parts.length ? h('details', {}, h('summary', {}, 'Console, error and stack'), parts) : '—';
  }

  async function actionEditor(id) {
    const path = `/actions/${encodeURIComponent(id)}`;
    const [{ data: action, etag }, versions, executions] = await Promise.all([api('GET', path),
      api('GET', `${path}/versions`).then((r) => r.data.data).catch(() => []),
      api('GET', `${path}/executions?limit=20`).then((r) => r.data.data).catch(() => [])]);
    const slot = h('div');
    const draftKey = `ia-draft-${id}`;
    const draft = sessionStorage.getItem(draftKey);
    const steppedUp = sessionStorage.getItem('ia-stepped-up') === location.hash;
    sessionStorage.removeItem('ia-stepped-up');
    const codeArea = h('textarea', { name: 'code', id: 'action-code', 'aria-label': 'Action code', value: draft ?? action.code });
    const nameInput = h('input', { name: 'name', value: action.name, autocomplete: 'off' });
    const enabled = checkbox('Enabled', 'enabled', action.enabled);
    const save = h('button', { type: 'button', id: 'save-action' }, 'Save');
    const testEvent = h('textarea', { id: 'test-event', 'aria-label': 'Sample event (JSON)', value: JSON.stringify({ user: { email: 'ada@example.com', app_metadata: {} } }, null, 2) });
    const testResult = h('div', { id: 'test-result', 'aria-live': 'polite' });
    const secretsSlot = h('div');
    const diffSlot = h('div');
    view.replaceChildren(
      h('h1', {}, action.name), h('p.muted', {}, `${action.trigger} · version ${action.version}`),
      draft && steppedUp ? notice('You confirmed it is you. Save again to apply your change.') : null,
      slot,
      h('section.card', {}, field('Name', nameInput), enabled, h('label', { for: 'action-code' }, 'Code'), codeArea,
        h('div.actions', {}, save)),
      h('div.split', {},
        h('section.card', {}, h('h2', {}, 'Test run'), testEvent,
          h('div.actions', {}, h('button.secondary', { type: 'button', id: 'run-test', onclick: runTest }, 'Run with this event')), testResult),
        h('section.card', {}, h('h2', {}, 'Secrets'),
          h('p.muted', {}, 'Values are write-only; the code reads them as event.secrets.NAME.'),
          h('ul', {}, action.secrets.map((name) => h('li', {}, h('code', {}, name), ' ',
            h('button.secondary', { type: 'button', onclick: () => patch({ secrets: { [name]: null } }, 'Secret removed.') }, `Remove ${name}`)))),
          form((node) => patch({ secrets: { [value(node, 'secret_name')]: value(node, 'secret_value') } }, 'Secret saved.'),
            h('div.row', {}, field('Name', h('input', { name: 'secret_name', autocomplete: 'off' })),
              field('Value', h('input', { name: 'secret_value', type: 'password', autocomplete: 'off' })),
              h('button.secondary', { type: 'submit' }, 'Add secret'))), secretsSlot)),
      h('section.card', {}, h('h2', {}, 'Versions'),
        table(['Version', 'Saved', ''], versions.map((version) => h('tr', {},
          h('td', {}, String(version.version)), h('td', {}, when(version.created_at)),
          h('td', {},
            h('button.secondary', { type: 'button', onclick: () => showDiff(version) }, `Diff v${version.version}`), ' ',
            h('button.secondary', { type: 'button', onclick: () => attempt(slot, () => api('POST', `${path}/versions/${version.version}/restore`, {}), `Version ${version.version} restored.`).then((ok) => ok && route()) }, `Restore v${version.version}`)))), 'Versions'),
        diffSlot),
      h('section.card', {}, h('h2', {}, 'Executions'), executionTable(executions)));

    const editor = window.CodeMirror
      ? window.CodeMirror.fromTextArea(codeArea, { mode: 'javascript', lineNumbers: true, indentUnit: 2, tabSize: 2, screenReaderLabel: 'Action code', extraKeys: { Tab: false, 'Shift-Tab': false } })
      : null;
    const currentCode = () => (editor ? editor.getValue() : codeArea.value);
    editor?.on('change', () => sessionStorage.setItem(draftKey, currentCode()));

    async function patch(body, done) {
      const saved = await attempt(slot, () => api('PATCH', path, body, { etag }), done);
      if (saved) { sessionStorage.removeItem(draftKey); route(); }
    }
    save.addEventListener('click', () => {
      sessionStorage.setItem(draftKey, currentCode());
      patch({ name: nameInput.value, code: currentCode(), enabled: enabled.querySelector('input').checked }, 'Saved.');
    });
    async function runTest() {
      let event;
      try { event = JSON.parse(testEvent.value); } catch (error) {
        testResult.replaceChildren(h('div.alert', { role: 'alert' }, `The sample event is not JSON: ${error.message}`));
        return;
      }
      const reply = await attempt(testResult, () => api('POST', `${path}/test`, { event }));
      if (!reply) return;
      const run = reply.data.execution;
      testResult.append(h('p', {}, 'Outcome ', badge(run.outcome), ` in ${Number(run.duration_ms).toFixed(1)} ms`),
        reply.data.api_calls ? [h('h3', {}, 'What it asked for'), h('pre', {}, JSON.stringify(reply.data.api_calls, null, 2))] : null,
        h('h3', {}, 'Console'), h('pre.console', {}, run.console.join('\n') || '(nothing logged)'),
        run.error ? [h('h3', {}, 'Error'), h('pre', {}, run.error)] : null,
        run.stack ? [h('h3', {}, 'Stack trace'), h('pre.stack', {}, run.stack)] : null);
    }
    function showDiff(version) {
      const changes = window.Diff ? window.Diff.diffLines(version.code, currentCode()) : [];
      diffSlot.replaceChildren(h('h3', {}, `Version ${version.version} → the editor`),
        h('pre.diff', { 'aria-label': 'Differences' }, changes.map((part) => {
          const marker = part.added ? '+ ' : part.removed ? '- ' : '  ';
          const body = part.value.replace(/\n$/, '').split('\n').map((line) => marker + line).join('\n');
          return h(part.added ? 'span.diff-add' : part.removed ? 'span.diff-del' : 'span', {}, body);
        })));
    }
  }

  // ---- Webhooks --------------------------------------------------------------------------

  async function webhooks() {
    const [{ data }, types, dead] = await Promise.all([api('GET', '/webhooks/subscriptions?limit=100'),
      api('GET', '/v1/webhook-event-types').then((r) => r.data.data ?? r.data).catch(() => []),
      api('GET', '/webhooks/dead-letters?limit=50').then((r) => r.data.data).catch(() => [])]);
    const slot = h('div');
    const typeNames = [types].flat().map((type) => (typeof type === 'string' ? type : type.type ?? type.name));
    const create = form(async (node) => {
      const body = { url: value(node, 'url'), event_types: typeNames.filter((type) => node.elements[`type-${type}`]?.checked) };
      if (value(node, 'description')) body.description = value(node, 'description');
      const created = await attempt(slot, () => api('POST', '/webhooks/subscriptions', body));
      if (created) {
        sessionStorage.setItem(`ia-secret-${created.data.id}`, created.data.secret ?? '');
        location.hash = `#/webhooks/${encodeURIComponent(created.data.id)}`;
      }
    }, field('Receiver URL', h('input', { name: 'url', type: 'url', required: true, autocomplete: 'off' })),
    field('Description', h('input', { name: 'description', autocomplete: 'off' })),
    h('fieldset', {}, h('legend', {}, 'Event types'), typeNames.map((type) => checkbox(type, `type-${type}`, false))),
    h('div.actions', {}, h('button', { type: 'submit' }, 'Create subscription')));
    const since = new Date(Date.now() - 30 * 86400e3).toISOString();
    view.replaceChildren(h('h1', {}, 'Webhooks'), slot,
      table(['Receiver', 'Events', 'Enabled'], data.data.map((sub) => h('tr', {},
        h('td', {}, link(`#/webhooks/${encodeURIComponent(sub.id)}`, sub.url)), h('td', {}, sub.event_types.join(', ')),
        h('td', {}, sub.enabled ? 'yes' : 'no'))), 'Subscriptions'),
      h('section.card', { id: 'dead-letters' }, h('h2', {}, 'Dead-letter queue'),
        table(['Died', 'Event', 'Attempts', 'Last outcome', ''], dead.map((message) => h('tr', {},
          h('td', {}, when(message.finished_at)), h('td', {}, message.event_type), h('td', {}, String(message.attempts)),
          h('td', {}, badge(message.last_outcome ?? 'dlq_max_attempts')),
          h('td', {}, h('button.secondary', { type: 'button', 'data-replay': message.id, onclick: async (event) => {
            const row = event.target.closest('tr');
            if (await attempt(slot, () => api('POST', `/webhooks/messages/${message.id}/replay`, {}), 'Replayed: delivery starts again.')) row.remove();
          } }, 'Replay')))), 'Dead letters'),
        h('div.actions', {}, h('button.secondary', { type: 'button', id: 'replay-all', disabled: !dead.length, onclick: async () => {
          if (await attempt(slot, () => api('POST', '/webhooks/dead-letters/replay', { since }), 'Every dead letter of the last 30 days is queued again.')) {
            document.querySelector('#dead-letters tbody').replaceChildren();
          }
        } }, 'Replay all'))),
      h('section.card', {}, h('h2', {}, 'Create a subscription'), create));
  }

  /** What a webhook attempt can observe: the catalogue's webhook family, in its order. */
  async function webhookObservations() {
    await catalogueEntry('delivered');
    return Object.values(catalogue).filter((entry) => entry.family === 'webhook').map((entry) => entry.code);
  }

  async function subscriptionDetail(id) {
    const path = `/webhooks/subscriptions/${encodeURIComponent(id)}`;
    const { data: sub, etag } = await api('GET', path);
    const observations = await webhookObservations();
    const slot = h('div');
    const once = sessionStorage.getItem(`ia-secret-${id}`);
    sessionStorage.removeItem(`ia-secret-${id}`);
    const secretSlot = h('div', {}, once ? secretNotice('Signing secret', once) : null);
    const feed = h('div');
    const filterForm = form(() => loadFeed(), h('div.row', {},
      field('Observation', h('select', { name: 'outcome' }, h('option', { value: '' }, 'Any'), observations.map((code) => h('option', { value: code }, code)))),
      field('Status', h('select', { name: 'status' }, h('option', { value: '' }, 'Any'), ['pending', 'delivered', 'dead'].map((s) => h('option', { value: s }, s)))),
      h('button.secondary', { type: 'submit' }, 'Filter')));
    const feedTicket = newestWins();
    async function loadFeed() {
      const params = new URLSearchParams({ limit: '50' });
      for (const name of ['outcome', 'status']) if (value(filterForm, name)) params.set(name, value(filterForm, name));
      const stillNewest = feedTicket();
      const { data } = await api('GET', `${path}/messages?${params}`);
      if (!stillNewest()) return;
      feed.replaceChildren(table(['Created', 'Event', 'Status', 'Attempts', 'Last outcome', ''], data.data.map((message) => {
        const detail = h('div');
        return h('tr', {}, h('td', {}, when(message.created_at)), h('td', {}, message.event_type), h('td', {}, message.status),
          h('td', {}, String(message.attempts)), h('td', {}, message.last_outcome ? badge(message.last_outcome) : '—'),
          h('td', {}, h('button.secondary', { type: 'button', onclick: () => showAttempts(message.id, detail) }, 'Attempts'), detail));
      }), 'Delivery feed'));
      // Which filter the rows shown answer (a test, or a script, knows the reload is done).
      feed.dataset.query = params.toString();
    }
    async function showAttempts(messageId, slotNode) {
      const { data: message } = await api('GET', `/webhooks/messages/${messageId}`);
      const rows = (message.attempt_log ?? []).map((tried) => h('tr', {},
        h('td', {}, String(tried.number)), h('td', {}, when(tried.started_at)), h('td', {}, badge(tried.outcome)),
        h('td', {}, text(tried.http_status)), h('td', {}, `${tried.latency_ms} ms`),
        h('td', {}, tried.response_excerpt ? h('pre', {}, tried.response_excerpt) : text(tried.error))));
      const last = (message.attempt_log ?? []).at(-1);
      slotNode.replaceChildren(table(['#', 'Started', 'Outcome', 'HTTP', 'Latency', 'Response or error'], rows, 'Attempts'),
        last && last.outcome !== 'delivered' ? await troubleshooting(last.outcome) : null,
        h('button.secondary', { type: 'button', onclick: () => attempt(slot, () => api('POST', `/webhooks/messages/${messageId}/replay`, {}), 'Replayed.') }, 'Replay'));
    }
    const edit = form(async (node) => {
      const body = { url: value(node, 'url'), event_types: lines(value(node, 'event_types')), enabled: node.elements.enabled.checked };
      if (await attempt(slot, () => api('PATCH', path, body, { etag }), 'Saved.')) route();
    }, field('Receiver URL', h('input', { name: 'url', type: 'url', value: sub.url, autocomplete: 'off' })),
    field('Event types (comma-separated)', h('input', { name: 'event_types', value: sub.event_types.join(', ') })),
    checkbox('Enabled', 'enabled', sub.enabled),
    h('div.actions', {}, h('button', { type: 'submit' }, 'Save'),
      h('button.secondary', { type: 'button', id: 'send-test', onclick: () => attempt(slot, () => api('POST', `${path}/test`, {}), 'Test event queued.').then(() => loadFeed()) }, 'Send a test event'),
      h('button.secondary', { type: 'button', onclick: confirmThen('Rotate the signing secret? The old one keeps signing for a day.', async () => {
        const rotated = await attempt(slot, () => api('POST', `${path}/rotate-secret`, {}));
        if (rotated) secretSlot.replaceChildren(secretNotice('New signing secret', rotated.data.secret));
      }) }, 'Rotate secret'),
      h('button.danger', { type: 'button', onclick: confirmThen('Delete this subscription?', async () => {
        if (await attempt(slot, () => api('DELETE', path, undefined, { etag }))) location.hash = '#/webhooks';
      }) }, 'Delete')));
    view.replaceChildren(h('h1', {}, sub.url), secretSlot, slot, h('section.card', {}, edit),
      h('section.card', {}, h('h2', {}, 'Delivery feed'), filterForm, feed));
    await loadFeed();
  }

  /** The docs' troubleshooting steps for an observation, read from the docs site itself. */
  async function troubleshooting(code) {
    const docs = '/docs/troubleshooting/webhook-delivery-failures';
    const box = h('div.troubleshoot', { 'data-troubleshooting': code }, h('h3', {}, `What to do about ${code}`));
    try {
      const page = new DOMParser().parseFromString(await (await fetch(docs)).text(), 'text/html');
      const heading = [...page.querySelectorAll('h2')].find((node) => node.textContent.includes(code));
      for (let node = heading?.nextElementSibling; node && node.tagName !== 'H2'; node = node.nextElementSibling) {
        box.append(document.importNode(node, true));
      }
    } catch { /* the link below still helps */ }
    box.append(h('p', {}, link(docs, 'The full troubleshooting guide')));
    for (const anchor of box.querySelectorAll('a[href^="../"]')) anchor.setAttribute('href', `/docs/${anchor.getAttribute('href').slice(3)}`);
    return box;
  }

  // ---- Logs and traces -------------------------------------------------------------------

  function logTable(entries) {
    return table(['Time', 'Type', 'Outcome', 'User', 'Application', 'IP', 'Request'], entries.map((entry) => h('tr', {},
      h('td', {}, when(entry.occurred_at)), h('td', {}, entry.type), h('td', {}, badge(entry.code)),
      h('td', {}, userLink(entry.user_id)), h('td', {}, appLink(entry.client_id)), h('td', {}, text(entry.ip)),
      h('td', {}, traceLink(entry.request_id)))), 'Log entries');
  }

  async function logs() {
    const slot = h('div');
    const results = h('div');
    const saved = JSON.parse(sessionStorage.getItem('ia-log-filter') ?? '{}');
    const names = ['request_id', 'user_id', 'client_id', 'type', 'code'];
    const filterForm = form((node) => {
      const filter = Object.fromEntries(names.concat(['from', 'to']).map((name) => [name, value(node, name)]).filter(([, v]) => v));
      sessionStorage.setItem('ia-log-filter', JSON.stringify(filter));
      // A request id alone opens its trace: everything that request decided and caused.
      if (filter.request_id && Object.keys(filter).length === 1) location.hash = `#/logs/trace/${encodeURIComponent(filter.request_id)}`;
      else attempt(slot, () => load(filter));
    }, h('div.row', {}, names.map((name) => field(name.replace('_', ' '), h('input', { name, value: saved[name] ?? '', autocomplete: 'off' }))),
      field('from', h('input', { name: 'from', type: 'datetime-local', value: saved.from ?? '' })),
      field('to', h('input', { name: 'to', type: 'datetime-local', value: saved.to ?? '' })),
      h('button', { type: 'submit', id: 'search-logs' }, 'Search')));
    const logTicket = newestWins();
    async function load(filter, cursor) {
      const params = new URLSearchParams({ limit: '50' });
      for (const [name, v] of Object.entries(filter)) params.set(name, name === 'from' || name === 'to' ? new Date(v).toISOString() : v);
      if (cursor) params.set('cursor', cursor);
      const stillNewest = logTicket();
      const { data } = await api('GET', `/logs?${params}`);
      if (!stillNewest()) return;
      if (!cursor) results.replaceChildren();
      results.append(logTable(data.data));
      if (data.next_cursor) results.append(h('button.secondary', { type: 'button', onclick: (event) => { event.target.remove(); attempt(slot, () => load(filter, data.next_cursor)); } }, 'More'));
    }
    view.replaceChildren(h('h1', {}, 'Logs'), h('p.muted', {}, 'Every sign-in decision and admin change. Enter a request id alone to see its whole trace.'),
      filterForm, slot, results);
    await attempt(slot, () => load(saved.request_id && Object.keys(saved).length === 1 ? {} : saved));
  }

  async function trace(requestId) {
    const { data } = await api('GET', `/requests/${encodeURIComponent(requestId)}`);
    const steps = await Promise.all(data.entries.map(async (entry) => {
      const copy = entry.code === 'ok' ? null : (await catalogueEntry(entry.code).catch(() => null))?.message;
      return h(`div.step.${entry.code === 'ok' ? 'ok' : 'failed'}`, { 'data-type': entry.type },
        h('p', {}, h('strong', {}, entry.type), ' ', badge(entry.code), ' ', h('span.muted', {}, when(entry.occurred_at))),
        copy ? h('p.copy', {}, copy) : null,
        h('p', {}, 'User ', userLink(entry.user_id), ' · application ', appLink(entry.client_id), entry.actor ? ` · by ${entry.actor}` : '',
          entry.details?.action_id ? [' · Action ', link(`#/actions/${encodeURIComponent(entry.details.action_id)}`, entry.details.action_name ?? entry.details.action_id)] : null,
          entry.details?.execution_id ? [' · ', h('a', { href: `#exec-${entry.details.execution_id}`, onclick: (event) => { event.preventDefault(); document.getElementById(`exec-${entry.details.execution_id}`)?.scrollIntoView(); } }, 'its execution')] : null),
        Object.keys(entry.details ?? {}).length ? h('pre', {}, JSON.stringify(entry.details, null, 2)) : null);
    }));
    view.replaceChildren(h('h1', {}, 'Request trace'), h('p', {}, 'Request ', h('code', {}, data.request_id)),
      h('section.card', {}, h('h2', {}, 'Decisions, in order'), steps.length ? steps : h('p', {}, 'No decision was recorded for this request.')),
      h('section.card', { id: 'trace-executions' }, h('h2', {}, 'Action executions'), executionTable(data.action_executions),
        data.action_executions.filter((run) => run.stack || run.error).map((run) => h('div', { id: `exec-${run.id}` },
          h('h3', {}, `${run.action_name} v${run.action_version}: ${run.error ?? run.outcome}`), run.stack ? h('pre.stack', {}, run.stack) : null))),
      h('section.card', {}, h('h2', {}, 'Webhook messages'),
        table(['Event', 'Status', 'Attempts', 'Outcomes'], data.webhook_messages.map((message) => h('tr', {},
          h('td', {}, message.event_type), h('td', {}, message.status), h('td', {}, String(message.attempts)),
          h('td', {}, (message.attempt_log ?? []).map((tried) => [badge(tried.outcome), ' '])))), 'Webhook messages')));
  }

  // ---- Tenant settings -------------------------------------------------------------------

  const CHOICES = {
    'mfa.mode': ['off', 'optional', 'required'],
    'oauth.signing_alg': ['RS256', 'ES256', 'EdDSA'],
    'sign_in.captcha.mode': ['off', 'always', 'after_failures'],
    'sign_in.captcha.provider': ['proof_of_work', 'siteverify'],
  };
  const HINTS = {
    'oauth.signing_alg': 'A new algorithm signs once every node publishes its keys, about a minute after saving; the one before signs until then.',
  };

  async function settings() {
    const { data: tenantView, etag } = await api('GET', '');
    const slot = h('div');
    const preview = h('iframe.preview', { title: 'Preview of the sign-in page', src: '/console/preview' });
    const leaf = (pathParts, current) => {
      const key = pathParts.join('.');
      const name = `s:${key}`;
      let control;
      if (typeof current === 'boolean') return checkbox(pathParts.slice(1).join(' ').replace(/_/g, ' '), name, current);
      if (CHOICES[key]) control = h('select', { name }, CHOICES[key].map((choice) => h('option', { value: choice, selected: current === choice }, choice)));
      else if (typeof current === 'number') control = h('input', { name, type: 'number', value: String(current) });
      else if (Array.isArray(current)) control = h('input', { name, value: current.join(', '), 'data-list': '' });
      else control = h('input', { name, value: current ?? '' });
      return field(pathParts.slice(1).join(' ').replace(/_/g, ' '), control, HINTS[key]);
    };
    const sections = Object.entries(tenantView.settings).map(([section, values]) => h('fieldset', { 'data-section': section },
      h('legend', {}, section.replace(/_/g, ' ')),
      h('div.row', {}, Object.entries(values ?? {}).flatMap(([key, current]) =>
        current !== null && typeof current === 'object' && !Array.isArray(current)
          ? Object.entries(current).map(([inner, v]) => leaf([section, key, inner], v))
          : [leaf([section, key], current)]))));
    const edit = form(async (node) => {
      const patch = {};
      for (const element of node.elements) {
        if (!element.name?.startsWith('s:')) continue;
        const key = element.name.slice(2);
        const original = key.split('.').reduce((object, part) => object?.[part], tenantView.settings);
        let next;
        if (element.type === 'checkbox') next = element.checked;
        else if (element.type === 'number') next = element.value === '' ? null : Number(element.value);
        else if (element.hasAttribute('data-list')) next = lines(element.value);
        else next = element.value === '' && (original === null || original === undefined) ? null : element.value;
        if (JSON.stringify(next) === JSON.stringify(original)) continue;
        const parts = key.split('.');
        let target = patch;
        for (const part of parts.slice(0, -1)) target = (target[part] ??= {});
        target[parts.at(-1)] = next === '' ? null : next;
      }
      const body = { settings: patch };
      if (value(node, 'display_name') !== tenantView.display_name) body.display_name = value(node, 'display_name');
      if (await attempt(slot, () => api('PATCH', '', body, { etag }), 'Saved.')) route();
    }, field('Display name', h('input', { name: 'display_name', value: tenantView.display_name, autocomplete: 'off' })),
    sections, h('div.actions', {}, h('button', { type: 'submit', id: 'save-settings' }, 'Save settings')));
    const refreshPreview = () => {
      const params = new URLSearchParams();
      for (const name of ['name', 'logo_url', 'primary_colour']) {
        const input = edit.elements[`s:theme.${name}`];
        if (input) params.set(name, input.value);
      }
      preview.src = `/console/preview?${params}`;
    };
    let timer = null;
    edit.addEventListener('input', (event) => {
      if (!event.target.name?.startsWith('s:theme.')) return;
      clearTimeout(timer);
      timer = setTimeout(refreshPreview, 250);
    });
    const keys = await fetch(`/t/${encodeURIComponent(tenant)}/.well-known/jwks.json`).then((r) => r.json()).catch(() => ({ keys: [] }));
    const keySlot = h('div');
    view.replaceChildren(h('h1', {}, 'Tenant settings'), slot,
      h('div.split', {}, h('section.card', {}, edit),
        h('section.card', {}, h('h2', {}, 'Sign-in page preview'), h('p.muted', {}, 'Updates as you edit the theme; nothing is saved until you save.'), preview)),
      h('section.card', {}, h('h2', {}, 'Signing keys'), keySlot,
        table(['Key id', 'Algorithm', 'Use'], keys.keys.map((key) => h('tr', {}, h('td', {}, h('code', {}, key.kid)), h('td', {}, text(key.alg)), h('td', {}, text(key.use)))), 'Published keys'),
        h('div.actions', {}, h('button.secondary', { type: 'button', id: 'rotate-keys', onclick: confirmThen('Rotate the signing keys? The next key starts signing; the current one stays published until its tokens expire.', () => attempt(keySlot, () => api('POST', '/keys/rotate', {}), 'Rotated.').then((ok) => ok && route())) }, 'Rotate keys'))));
  }

  // ---- Tenants (instance admins) -----------------------------------------------------------

  function switchTo(id) {
    tenant = id;
    sessionStorage.setItem('ia-target-tenant', id);
    const input = document.getElementById('switch-tenant');
    if (input) input.value = id;
    if (location.hash === '#/') route(); else location.hash = '#/';
  }

  async function tenants() {
    if (!instanceAdmin) {
      view.replaceChildren(h('h1', {}, 'Tenants'), h('p', {}, 'Only instance admins (owners of the default tenant) manage tenants. To work on another tenant, switch to it and sign in there.'));
      return;
    }
    const { data } = await api('GET', '/v1/tenants?limit=100');
    const slot = h('div');
    const create = form(async (node) => {
      const created = await attempt(slot, () => api('POST', '/v1/tenants', { id: value(node, 'id'), display_name: value(node, 'display_name') || value(node, 'id') }));
      if (created) switchTo(created.data.id);
    }, h('div.row', {}, field('Tenant id', h('input', { name: 'id', required: true, autocomplete: 'off' })),
      field('Display name', h('input', { name: 'display_name', autocomplete: 'off' })),
      h('button', { type: 'submit' }, 'Create tenant')));
    view.replaceChildren(h('h1', {}, 'Tenants'), slot,
      table(['Tenant', 'Display name', 'Created', ''], data.data.map((item) => h('tr', {},
        h('td', {}, h('code', {}, item.id)), h('td', {}, item.display_name), h('td', {}, when(item.created_at)),
        h('td', {}, h('button.secondary', { type: 'button', 'data-switch': item.id, onclick: () => switchTo(item.id) }, item.id === tenant ? 'Current' : `Manage ${item.id}`), ' ',
          item.id === home ? null : h('button.danger', { type: 'button', onclick: confirmThen(`Delete tenant ${item.id} with all its users and data?`, async () => {
            if (await attempt(slot, () => api('DELETE', `/v1/tenants/${encodeURIComponent(item.id)}`), `Tenant ${item.id} deleted.`)) {
              if (tenant === item.id) switchTo(home); else route();
            }
          }) }, 'Delete'))))),
      h('section.card', {}, h('h2', {}, 'Create a tenant'), create));
  }

  // ---- Signed out: the first admin ---------------------------------------------------------

  function setup() {
    const setupForm = document.getElementById('setup');
    if (!setupForm) return;
    const result = document.getElementById('setup-result');
    setupForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const chosenTenant = value(setupForm, 'tenant') || 'default';
      const email = value(setupForm, 'email');
      result.replaceChildren();
      const response = await fetch(`/v1/tenants/${encodeURIComponent(chosenTenant)}/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${value(setupForm, 'token')}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ email, password: value(setupForm, 'password'), email_verified: true, role: 'owner' }),
      }).catch(() => null);
      const body = response ? await response.json().catch(() => null) : null;
      if (response?.ok) {
        result.append(notice(`${email} is the owner of ${chosenTenant}. Signing you in…`));
        location.assign(`/console/login?tenant=${encodeURIComponent(chosenTenant)}&login_hint=${encodeURIComponent(email)}`);
      } else {
        result.append(errorAlert(new ApiError(response?.status ?? 0, body)));
        result.querySelector('[role=alert]')?.setAttribute('tabindex', '-1');
        result.querySelector('[role=alert]')?.focus();
      }
    });
  }

  if (document.body.dataset.mode === 'console') {
    const menu = document.querySelector('button.menu');
    menu?.addEventListener('click', () => {
      const open = document.getElementById('nav').classList.toggle('open');
      menu.setAttribute('aria-expanded', String(open));
    });
    if (instanceAdmin) {
      // One session, every tenant: switching changes the tenant the pages work on.
      const nav = document.querySelector('nav#nav ul');
      nav.append(h('li', {}, h('a', { href: '#/tenants' }, 'Tenants')));
      const switcher = document.querySelector('form.switch');
      switcher.addEventListener('submit', (event) => {
        event.preventDefault();
        switchTo(value(switcher, 'tenant').trim() || home);
      });
      document.getElementById('switch-tenant').value = tenant;
    }
    window.addEventListener('hashchange', route);
    route();
  } else {
    setup();
  }
})();

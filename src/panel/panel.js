// The packybridge panel: plain JavaScript, same-origin calls to /v0/management/* with the management key kept in
// sessionStorage (this tab only). Everything from the server is written as text (textContent), never as HTML.
'use strict';

const $ = (id) => document.getElementById(id);
const KEY_STORE = 'packybridge-management-key';
let charts = [];

function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof Node) td.append(c); else td.textContent = c === null || c === undefined ? '—' : String(c);
    tr.append(td);
  }
  return tr;
}

function fill(tableId, rows) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren(...rows.map(row));
}

function facts(dlId, pairs) {
  $(dlId).replaceChildren(...pairs.flatMap(([k, v]) => [el('dt', k), el('dd', v === null || v === undefined ? '—' : v)]));
}

async function api(method, path, body) {
  const headers = { authorization: `Bearer ${sessionStorage.getItem(KEY_STORE) ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/v0/management${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  if (res.status === 401) { logout('the management key was refused'); throw new Error('unauthorized'); }
  if (!res.ok) {
    const details = json?.details ? json.details.map((d) => `${d.path}: ${d.message}; ${d.fix}`).join(' | ') : '';
    throw new Error(details || json?.message || `HTTP ${res.status}`);
  }
  return json;
}

// --- pages ---------------------------------------------------------------------------------------------

async function showStatus() {
  const [s, p] = await Promise.all([api('GET', '/status'), api('GET', '/packycode')]);
  facts('status-facts', [
    ['version', s.version], ['uptime', `${s['uptime-seconds']} s`], ['effective source', s['effective-source']],
    ['config file', s['config-path']], ['loaded at', s['config-loaded-at']], ['models registered', (s.models ?? []).length],
  ]);
  $('packycode-switch').checked = p.enabled === true;
  $('packycode-state').textContent = p.enabled ? `enabled (${p['base-url']}, key ${p.credentials?.['openai-api-key'] || 'none'})` : 'disabled';
  $('packycode-state').className = p.enabled ? 'ok' : 'error';
  $('packycode-problems').textContent = (s['packycode-problems'] ?? []).map((q) => `${q.path}: ${q.message}; ${q.fix}`).join(' | ');
  const lastError = (e) => (e === undefined ? '' : `; last error: ${typeof e === 'object' ? [e.kind, e.status, e.at].filter(Boolean).join(' ') : e}`);
  fill('providers', (s.upstreams ?? s.providers ?? []).map((x) => [
    x.provider, x['config-path'] ?? x.name, x['base-url'], x.key ?? x['client-id'],
    `${x['cooldown-until'] ? `${x.state ?? 'cooling-down'} until ${x['cooldown-until']}` : (x.state ?? 'ok')}${lastError(x['last-error'])}`,
  ]));
  facts('status-counters', Object.entries(s.counters ?? {}));
}

async function flipPackycode() {
  const want = $('packycode-switch').checked;
  $('packycode-state').textContent = want ? 'enabling…' : 'disabling…';
  try {
    await api('PATCH', '/packycode', { enabled: want });
  } catch (e) {
    $('packycode-problems').textContent = e.message;
  }
  await showStatus();
}

async function showKeys() {
  const { keys } = await api('GET', '/api-keys');
  fill('keys', keys.map((k) => {
    const revoke = el('button', 'revoke', { type: 'button', 'data-name': k.name });
    revoke.addEventListener('click', () => revokeKey(k.name));
    const limit = (name) => {
      const input = el('input', undefined, { type: 'number', min: '1', value: k.limits[name] ?? '', placeholder: 'none', 'data-limit': name, 'data-name': k.name, size: '8' });
      input.addEventListener('change', () => setLimit(k.name, name, input.value));
      return input;
    };
    const used = k['in-window'];
    return [k.name, k.key, (k.models ?? ['any']).join(', '), limit('requests-per-minute'), limit('tokens-per-minute'), limit('tokens-per-day'),
      k.expires ? `${k.expires.slice(0, 10)}${k.expired ? ' (expired)' : ''}` : 'never',
      `${used['requests-this-minute']} req, ${used['tokens-this-minute']} tok / ${used['tokens-today']} tok`, revoke];
  }));
}

async function setLimit(name, limit, value) {
  $('key-error').textContent = '';
  try {
    await api('PATCH', `/api-keys/${encodeURIComponent(name)}`, { limits: { [limit]: value === '' ? null : Number(value) } });
  } catch (e) { $('key-error').textContent = e.message; }
  await showKeys();
}

async function revokeKey(name) {
  if (!confirm(`Revoke the key "${name}"? Its requests are refused at once.`)) return;
  $('key-error').textContent = '';
  try { await api('DELETE', `/api-keys/${encodeURIComponent(name)}`); } catch (e) { $('key-error').textContent = e.message; }
  await showKeys();
}

async function createKey(event) {
  event.preventDefault();
  $('key-error').textContent = '';
  const limits = {};
  for (const [id, name] of [['key-rpm', 'requests-per-minute'], ['key-tpm', 'tokens-per-minute'], ['key-tpd', 'tokens-per-day']]) {
    if ($(id).value !== '') limits[name] = Number($(id).value);
  }
  const body = { name: $('key-name').value.trim() };
  const models = $('key-models').value.split(',').map((m) => m.trim()).filter(Boolean);
  if (models.length) body.models = models;
  if (Object.keys(limits).length) body.limits = limits;
  if ($('key-expires').value) body.expires = $('key-expires').value;
  try {
    const created = await api('POST', '/api-keys', body);
    $('new-key-name').textContent = created.name;
    $('new-key-value').textContent = created.key;
    $('new-key').hidden = false;
    $('key-form').reset();
  } catch (e) { $('key-error').textContent = e.message; }
  await showKeys();
}

const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (n) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
const COLORS = ['#3b82f6', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#06b6d4', '#84cc16', '#ec4899'];

async function showUsage(event) {
  event?.preventDefault();
  if (!$('usage-from').value) $('usage-from').value = daysAgo(13);
  if (!$('usage-to').value) $('usage-to').value = today();
  const q = new URLSearchParams({ from: $('usage-from').value, to: $('usage-to').value });
  if ($('usage-client').value.trim()) q.set('client', $('usage-client').value.trim());
  const [byDay, byModel] = await Promise.all([
    api('GET', `/usage?${q}&group-by=day,client`),
    api('GET', `/usage?${q}&group-by=client,model`),
  ]);
  $('usage-csv').textContent = 'CSV';
  $('usage-csv').onclick = (e) => { e.preventDefault(); void downloadCsv(`${q}&group-by=day,client,model,model-used,provider`); };
  fill('usage-table', byModel.rows.map((r) => [r.client, r.model, r.requests, r['input-tokens'], r['cached-input-tokens'], r['output-tokens'], r.errors, r['cost-usd'].toFixed(4)]));
  drawCharts(byDay.rows, byModel.rows);
}

function drawCharts(dayRows, modelRows) {
  for (const c of charts) c.destroy();
  charts = [];
  if (typeof Chart === 'undefined') return;
  const days = [...new Set(dayRows.map((r) => r.day))].sort();
  const clients = [...new Set(dayRows.map((r) => r.client))].sort();
  const tokens = (r) => r['input-tokens'] + r['cached-input-tokens'] + r['output-tokens'];
  charts.push(new Chart($('chart-tokens'), {
    type: 'bar',
    data: {
      labels: days,
      datasets: clients.map((c, i) => ({ label: c, backgroundColor: COLORS[i % COLORS.length], data: days.map((d) => dayRows.filter((r) => r.day === d && r.client === c).reduce((s, r) => s + tokens(r), 0)) })),
    },
    options: { animation: false, responsive: true, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  }));
  const models = [...new Set(modelRows.map((r) => r.model))].sort();
  const modelClients = [...new Set(modelRows.map((r) => r.client))].sort();
  charts.push(new Chart($('chart-cost'), {
    type: 'bar',
    data: {
      labels: modelClients,
      datasets: models.map((m, i) => ({ label: m, backgroundColor: COLORS[i % COLORS.length], data: modelClients.map((c) => modelRows.filter((r) => r.client === c && r.model === m).reduce((s, r) => s + r['cost-usd'], 0)) })),
    },
    options: { animation: false, responsive: true, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  }));
}

async function downloadCsv(query) {
  const res = await fetch(`/v0/management/usage?${query}&format=csv`, { headers: { authorization: `Bearer ${sessionStorage.getItem(KEY_STORE) ?? ''}` } });
  const url = URL.createObjectURL(await res.blob());
  const a = el('a', '', { href: url, download: 'packybridge-usage.csv' });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 5_000);
}

async function showAudit() {
  const { events } = await api('GET', '/audit?limit=200');
  fill('audit', events.reverse().map((e) => {
    const { at, kind, ...rest } = e;
    return [at, kind, Object.entries(rest).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ')];
  }));
}

async function showRequests() {
  const { requests } = await api('GET', '/requests?limit=100');
  fill('requests', requests.map((r) => [r.at, r.client, r['model-asked'], r['model-used'], r.provider, r.status, r['error-kind'], r['duration-ms'],
    `${r['input-tokens']} / ${r['cached-input-tokens']} / ${r['output-tokens']}`]));
}

const PAGES = { status: showStatus, keys: showKeys, usage: showUsage, audit: showAudit, requests: showRequests };

async function route() {
  if (!sessionStorage.getItem(KEY_STORE)) return;
  const page = PAGES[location.hash.slice(1)] ? location.hash.slice(1) : 'status';
  for (const s of document.querySelectorAll('.page')) s.hidden = s.id !== `page-${page}`;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.page === page);
  try { await PAGES[page](); } catch (e) { console.warn(e.message); }
  document.body.dataset.page = page;
  document.body.dataset.loaded = String(Date.now());
}

function logout(message) {
  sessionStorage.removeItem(KEY_STORE);
  $('login').hidden = false;
  $('nav').hidden = true;
  for (const s of document.querySelectorAll('.page')) s.hidden = true;
  $('login-error').textContent = message ?? '';
}

async function login(event) {
  event.preventDefault();
  sessionStorage.setItem(KEY_STORE, $('login-key').value);
  $('login-key').value = '';
  try {
    await api('GET', '/status');
  } catch (e) {
    if (e.message !== 'unauthorized') logout(e.message);
    return;
  }
  $('login').hidden = true;
  $('nav').hidden = false;
  await route();
}

document.addEventListener('DOMContentLoaded', () => {
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', () => logout());
  $('packycode-switch').addEventListener('change', flipPackycode);
  $('key-form').addEventListener('submit', createKey);
  $('new-key-close').addEventListener('click', () => { $('new-key').hidden = true; $('new-key-value').textContent = ''; });
  $('usage-form').addEventListener('submit', showUsage);
  window.addEventListener('hashchange', route);
  if (sessionStorage.getItem(KEY_STORE)) {
    $('login').hidden = true;
    $('nav').hidden = false;
    void route();
  }
});

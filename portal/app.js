// The closebook portal (docs/portal.md): a client of closebookd's public API and nothing more.
// It signs in once with an API token for a session cookie (HttpOnly, so this script never holds
// a credential after sign-in), sends the session's CSRF token on writes, and builds every page
// from API answers with text nodes only (no HTML from data is ever parsed).
'use strict';

const state = { session: null, flash: null };

// ---- DOM helpers ----------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function link(hash, text) { return h('a', { href: '#' + hash }, text); }
function download(path, text, filename) { return h('a', { href: path, download: filename || true }, text); }

function table(caption, headers, rows, numeric) {
  numeric = numeric || [];
  return h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((x, i) => h('th', { scope: 'col', class: numeric.includes(i) ? 'num' : null }, x)))),
    h('tbody', {}, rows.map(r => h('tr', {}, r.map((x, i) => h('td', { class: numeric.includes(i) ? 'num' : null }, x))))));
}

function say(text, isError) {
  const el = document.getElementById('status');
  el.textContent = text || '';
  el.className = isError ? 'error' : '';
}

function show(title, ...content) {
  const main = document.getElementById('main');
  main.replaceChildren(h('h1', {}, title), ...content.flat(Infinity).filter(c => c !== null && c !== undefined && c !== false));
  document.title = title + ' — closebook';
  main.focus();  // a new page is announced and the keyboard starts at its top
}

// ---- the API ----------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || ('HTTP ' + status));
    this.status = status;
    this.body = body;
  }
}

// Each navigation starts a new generation; a read answered after the page changed again is
// dropped (Stale), so a slow page never paints over the one the user went to next.
let generation = 0;
class Stale extends Error {}

async function api(path, options) {
  options = options || {};
  const startedIn = generation;
  const headers = { Accept: options.accept || 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.method && options.method !== 'GET' && state.session && state.session.csrf_token) {
    headers['X-CSRF-Token'] = state.session.csrf_token;
  }
  const r = await fetch(path, {
    method: options.method || 'GET', headers, credentials: 'same-origin',
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const type = r.headers.get('Content-Type') || '';
  const body = type.startsWith('application/json') ? await r.json() : await r.text();
  if (!options.method && startedIn !== generation) throw new Stale();
  if (!r.ok) throw new ApiError(r.status, typeof body === 'object' ? body : { message: body });
  return body;
}

// Every page of a list (docs/api.md §3).
async function all(path, field) {
  const out = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api(path + sep + 'limit=1000' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    out.push(...page[field]);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

const enc = encodeURIComponent;
const isPartner = () => state.session && state.session.role.startsWith('partner:');
const role = () => (state.session ? state.session.role : '');

// ---- sign-in ----------------------------------------------------------------------------------

function signInPage(message) {
  const token = h('input', { id: 'token', type: 'password', autocomplete: 'off', required: true, size: 60 });
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        state.session = await api('/v1/session', { method: 'POST', body: { token: token.value } });
        token.value = '';
        say('Signed in as ' + state.session.name + '.');
        renderChrome();
        route();
      } catch (err) {
        say(err.status === 401 ? 'That token is not valid.' : err.message, true);
        token.focus();
      }
    },
  }, h('label', { for: 'token' }, 'API token'), token, h('button', { type: 'submit' }, 'Sign in'));
  show('Sign in', h('p', {}, message || 'Sign in with the token your distributor gave you (closebook tokens create).'), form);
  token.focus();
}

async function signOut() {
  try { await api('/v1/session', { method: 'DELETE' }); } catch (e) { /* signed out either way */ }
  state.session = null;
  renderChrome();
  signInPage('Signed out.');
}

function renderChrome() {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  if (!state.session) { nav.replaceChildren(); who.replaceChildren(); return; }
  const items = [link('/periods', 'Periods')];
  if (isPartner()) items.push(link('/disputes', 'Disputes'));
  if (['admin', 'ops', 'finance', 'auditor'].includes(role())) {
    items.push(link('/exceptions', 'Exceptions'), link('/margin', 'Margin'), link('/disputes', 'Disputes'));
  }
  if (['admin', 'finance'].includes(role())) items.push(link('/signoff', 'Sign-off'));
  items.push(link('/audit', 'Audit'));
  nav.replaceChildren(...items);
  who.replaceChildren(state.session.name + ' (' + role() + ') ', h('button', { type: 'button', onclick: signOut }, 'Sign out'));
}

// ---- partner and staff: periods, invoices, lines ------------------------------------------------

async function periodsPage() {
  const periods = await all('/v1/periods', 'periods');
  if (isPartner()) {
    const sections = periods.map(p => h('section', {},
      h('h2', {}, 'Period ' + p.period),
      table('Invoices of ' + p.period, ['Invoice', 'Currency', 'Total'],
        p.invoices.map(i => [link('/invoices/' + enc(i.invoice_id), i.invoice_id), i.currency, i.total]), [2]),
      link('/lines?period=' + enc(p.period), 'All my lines of ' + p.period)));
    return show('Your periods and invoices', periods.length ? sections : h('p', {}, 'No invoices yet.'));
  }
  show('Periods', table('Periods of the close', ['Period', 'State', 'Sign-offs', 'Match current'],
    periods.map(p => [link('/periods/' + enc(p.period), p.period), p.state, String(p.sign_off_count),
      p.match_is_current ? 'yes' : 'no']), [2]));
}

async function periodPage(period) {
  const p = await api('/v1/periods/' + enc(period));
  const invoices = await all('/v1/invoices?period=' + enc(period), 'invoices');
  const steps = [];
  const at = (ref) => (ref ? 'entry ' + ref.index : null);
  if (p.match_run) steps.push(['Matched', at(p.match_run) + (p.match_is_current ? '' : ' (older than the latest input: match again)')]);
  if (p.last_sign_off) steps.push(['Signed off', at(p.last_sign_off) + ' (' + p.sign_off_count + ' sign-off' + (p.sign_off_count === 1 ? '' : 's') + ')']);
  if (p.reopen) steps.push(['Reopened by a credit', at(p.reopen)]);
  if (p.invoice) steps.push(['Invoiced', at(p.invoice) + ', ' + invoices.length + ' invoices']);
  for (const j of p.journals) steps.push(['Journal ' + j.journal_id, 'entry ' + j.entry + (j.posted ? ', posted as ' + j.gl_ref : ', not yet posted')]);
  show('Period ' + period,
    h('p', {}, 'State: ', h('strong', {}, p.state)),
    h('ol', { class: 'timeline', 'aria-label': 'The period step by step' },
      steps.map(([title, detail]) => h('li', {}, h('h3', {}, title), h('p', {}, detail)))),
    table('Invoices', ['Invoice', 'Partner', 'Total'],
      invoices.map(i => [link('/invoices/' + enc(i.invoice_id), i.invoice_id), i.partner_id, i.total + ' ' + i.currency]), [2]),
    h('p', {}, link('/exceptions?period=' + enc(period), 'Exceptions'), ' · ', link('/margin?period=' + enc(period), 'Margin'),
      ['admin', 'finance'].includes(role()) ? [' · ', link('/signoff?period=' + enc(period), 'Sign-off')] : null));
}

function verifyCommand(file) {
  return h('p', {}, 'Verify it offline with the log\'s public key (from your distributor or ',
    link('/audit', 'the audit page'), '):',
    h('pre', {}, 'closebook-verify bundle ' + file + ' --key log.vkey --allow-withheld'));
}

async function invoicePage(id) {
  const inv = await api('/v1/invoices/' + enc(id) + '?format=json');
  const base = '/v1/invoices/' + enc(id);
  show('Invoice ' + inv.invoice_id,
    h('p', {}, 'Period ', inv.period, ' · partner ', inv.partner_id, ' · issued ', inv.issue_date, ' · ',
      inv.gst_treatment === 'taxable' ? 'GST 10%' : 'GST-free (export)'),
    table('Items', ['Line', 'Description', 'Quantity', 'Unit price', 'Amount', 'GST'],
      inv.items.map(i => [link('/lines/' + enc(i.line_id), i.line_id), i.description, i.quantity, i.unit_price, i.amount, i.gst]), [2, 3, 4, 5]),
    table('Totals (' + inv.currency + ')', ['Subtotal', 'GST', 'Total'], [[inv.subtotal, inv.gst, inv.total]], [0, 1, 2]),
    h('h2', {}, 'Download'),
    h('ul', {},
      h('li', {}, download(base + '?format=csv', 'Invoice as CSV', inv.invoice_id + '.csv')),
      h('li', {}, download(base + '?format=json', 'Invoice as JSON', inv.invoice_id + '.json')),
      h('li', {}, link('/invoices/' + enc(id) + '/print', 'Printable tax invoice (print or save as PDF)')),
      h('li', {}, download(base + '/bundle', 'Evidence bundle', 'bundle-' + inv.invoice_id + '.json'))),
    verifyCommand('bundle-' + inv.invoice_id + '.json'));
}

// The tax invoice as the ATO asks (docs/portal.md §3): the words "Tax invoice" for a taxable
// supply, the seller's name and ABN, the buyer, the date, each item with its quantity, price
// and GST, and the GST and total.
async function printPage(id) {
  const inv = await api('/v1/invoices/' + enc(id) + '?format=json');
  const taxable = inv.gst_treatment === 'taxable';
  show((taxable ? 'Tax invoice ' : 'Invoice ') + inv.invoice_id,
    h('p', { class: 'no-print' }, h('button', { type: 'button', onclick: () => window.print() }, 'Print or save as PDF'),
      ' ', link('/invoices/' + enc(id), 'Back to the invoice')),
    inv.seller ? h('p', {}, 'From ', h('strong', {}, inv.seller.name), ' · ABN ', inv.seller.abn, inv.seller.address ? ' · ' + inv.seller.address : '')
      : h('p', { class: 'error' }, 'The seller\'s name and ABN are not configured (closebook.json "seller"): this is not yet a valid tax invoice.'),
    h('p', {}, 'To ', h('strong', {}, inv.buyer.name || inv.partner_id), ' (partner ', inv.partner_id, inv.buyer.country ? ', ' + inv.buyer.country : '', ')',
      ' · date of issue ', inv.issue_date, ' · period ', inv.period),
    table('Items (' + inv.currency + ')', ['Description', 'Quantity', 'Unit price', 'Amount', taxable ? 'GST' : 'GST (GST-free)'],
      inv.items.map(i => [i.description, i.quantity, i.unit_price, i.amount, i.gst]), [1, 2, 3, 4]),
    table('Totals (' + inv.currency + ')', ['Total excluding GST', 'GST', 'Total' + (taxable ? ' including GST' : '')],
      [[inv.subtotal, inv.gst, inv.total]], [0, 1, 2]),
    h('p', {}, taxable ? 'All items are taxable supplies; GST is 10% of each amount, rounded half-even to the cent.'
      : 'GST-free: an export supply to a partner outside Australia.'),
    h('p', {}, 'Ledger entry ', String(inv.entry), ', hash ', h('code', {}, inv.entry_hash)));
}

async function linesPage(period) {
  const lines = await all('/v1/lines?period=' + enc(period), 'lines');
  show('Lines of ' + period, table('Priced lines', ['Line', 'SKU', 'From', 'To', 'Quantity', 'Amount', 'Invoice'],
    lines.map(l => [link('/lines/' + enc(l.line_id), l.line_id), l.sku_id, l.from, l.to, l.quantity,
      l.sell_amount + ' ' + l.currency, l.invoice_id ? link('/invoices/' + enc(l.invoice_id), l.invoice_id) : '—']), [4, 5]));
}

const ROLE_TITLES = {
  usage: 'Usage', priced_line: 'Priced line', line_cost: 'Line cost', rule_version: 'Pricing rule version',
  fx_lock: 'FX lock', fx_rate: 'FX rate', match_run: 'Three-way match', sign_off: 'Sign-off', key_event: 'Signing key',
  invoice: 'Invoice', credit: 'Credit', period_reopen: 'Period reopened', dispute: 'Dispute', partner: 'Partner',
  exception: 'Exception', exception_update: 'Exception update', journal_posting: 'GL journal', posting_ack: 'GL posting',
};

function describe(kind) {
  const [name, k] = Object.entries(kind)[0] || ['', {}];
  switch (name) {
    case 'usageRecord': return 'on ' + (k.usageDate || k.date || '') + ': ' + (k.quantity || '') + ' of ' + (k.skuId || '');
    case 'pricedLine': return k.quantity + ' × ' + k.sellUnitPrice + ' = ' + k.sellAmount + ' ' + k.currency + ', ' + k.fromDate + ' to ' + k.toDate;
    case 'ruleVersion': return (k.ruleId || '') + ' v' + (k.version || 0);
    case 'fxLock': return (k.base || '') + '/' + (k.quote || '') + ' at ' + (k.rate || '');
    case 'fxRate': return (k.base || '') + '/' + (k.quote || '') + ' ' + (k.rate || '') + ' on ' + (k.date || '');
    case 'signOff': return 'period ' + (k.period || '') + ', tree size ' + (k.treeSize || '');
    case 'keyEvent': return (k.name || k.keyName || '') + ' ' + (k.action || '');
    case 'invoice': return (k.invoiceId || '') + ', total ' + (k.total || '') + ' ' + (k.currency || '');
    case 'credit': return (k.creditId || '') + ': ' + (k.amount || '') + ' — ' + (k.reason || '');
    case 'periodReopen': return 'period ' + (k.period || '');
    case 'dispute': return (k.disputeId || '') + ': ' + (k.amount || '') + ' — ' + (k.reason || '');
    case 'partner': return (k.partnerId || '') + ' ' + (k.name || '');
    default: return name;
  }
}

async function linePage(id) {
  const lineage = await api('/v1/lines/' + enc(id) + '/lineage');
  const entries = lineage.entries.slice().sort((a, b) => a.index - b.index);
  const amount = h('input', { id: 'amount', inputmode: 'decimal', required: true, size: 12 });
  const reason = h('textarea', { id: 'reason', rows: 3, required: true });
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        const d = await api('/v1/disputes', { method: 'POST', body: { line_id: id, reason: reason.value, amount: amount.value } });
        state.flash = 'Dispute ' + d.dispute_id + ' raised.';
        location.hash = '#/disputes/' + enc(d.dispute_id);
      } catch (err) { say(err.message, true); }
    },
  }, h('label', { for: 'amount' }, 'Amount in dispute'), amount, h('br'),
  h('label', { for: 'reason' }, 'Reason'), reason, h('br'), h('button', { type: 'submit' }, 'Raise the dispute'));
  show('Line ' + id,
    h('p', {}, 'Period ', lineage.period, ' · ', download('/v1/lines/' + enc(id) + '/bundle', 'Evidence bundle', 'bundle-' + id + '.json')),
    verifyCommand('bundle-' + id + '.json'),
    h('h2', {}, 'Lineage'),
    h('ol', { class: 'timeline', 'aria-label': 'The line\'s lineage, oldest first' }, entries.map(e =>
      h('li', {}, h('h3', {}, (ROLE_TITLES[e.role] || e.role) + ' · entry ' + e.index),
        h('p', {}, describe(e.entry.kind || {})),
        h('details', {}, h('summary', {}, 'The entry'), h('pre', {}, JSON.stringify(e.entry, null, 2)))))),
    isPartner() ? [h('h2', {}, 'Dispute this line'), form] : null);
}

async function disputesPage() {
  const list = await all('/v1/disputes', 'disputes');
  show('Disputes', table('Disputes', ['Dispute', 'Line', 'Amount', 'Status', 'Reason'],
    list.map(d => [link('/disputes/' + enc(d.dispute_id), d.dispute_id), link('/lines/' + enc(d.line_id), d.line_id),
      d.amount + ' ' + d.currency, d.status, d.reason]), [2]));
}

async function disputePage(id) {
  const d = await api('/v1/disputes/' + enc(id));
  const steps = d.history || d.steps || [];
  show('Dispute ' + id,
    h('p', {}, 'Line ', link('/lines/' + enc(d.line_id), d.line_id), ' · ', d.amount + ' ' + d.currency, ' · status ', h('strong', {}, d.status)),
    h('p', {}, 'Reason: ', d.reason),
    h('ol', { class: 'timeline', 'aria-label': 'What happened to the dispute' }, steps.map(s0 =>
      h('li', {}, h('h3', {}, s0.action), h('p', {}, new Date(s0.recorded_at_ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC'),
        s0.note ? h('p', {}, s0.note) : null))));
}

// ---- ops: the exception queue -------------------------------------------------------------------

function moneyAtStake(x) { return Math.abs(parseFloat(x.delta || '0')) || 0; }

async function latestPeriod() {
  const periods = await all('/v1/periods', 'periods');
  return periods.length ? periods[periods.length - 1].period : '';
}

async function exceptionsPage(query) {
  const period = query.get('period') || await latestPeriod();
  if (!period) return show('Exceptions', h('p', {}, 'No period yet.'));
  const list = await all('/v1/exceptions?period=' + enc(period), 'exceptions');
  const filters = { category: query.get('category') || '', status: query.get('status') || 'open-or-acknowledged', owner: query.get('owner') || '' };
  const shown = list.filter(x => (!filters.category || x.category === filters.category) &&
    (!filters.owner || x.owner === filters.owner) &&
    (filters.status === 'all' || (filters.status === 'open-or-acknowledged' ? ['open', 'acknowledged'].includes(x.status) : x.status === filters.status)))
    .sort((a, b) => moneyAtStake(b) - moneyAtStake(a) || a.exception_id.localeCompare(b.exception_id));
  const choices = (name, values) => h('select', { id: 'f-' + name, name },
    values.map(v => h('option', { value: v, selected: v === filters[name] }, v || 'any')));
  const categories = [''].concat([...new Set(list.map(x => x.category))].sort());
  const owners = [''].concat([...new Set(list.map(x => x.owner))].sort());
  const form = h('form', {
    class: 'no-print',
    onsubmit: (e) => {
      e.preventDefault();
      const q = new URLSearchParams({ period });
      for (const n of ['category', 'status', 'owner']) { const v = document.getElementById('f-' + n).value; if (v) q.set(n, v); }
      location.hash = '#/exceptions?' + q.toString();
    },
  }, h('label', { for: 'f-category' }, 'Category '), choices('category', categories),
  h('label', { for: 'f-status' }, 'Status '), choices('status', ['open-or-acknowledged', 'open', 'acknowledged', 'resolved', 'waived', 'all']),
  h('label', { for: 'f-owner' }, 'Owner '), choices('owner', owners), h('button', { type: 'submit' }, 'Filter'));
  const canWork = ['admin', 'ops', 'finance'].includes(role());
  show('Exceptions of ' + period,
    form,
    h('p', {}, shown.length + ' of ' + list.length + ' exceptions, largest money at stake first.'),
    table('Exception queue', ['Exception', 'Category', 'Owner', 'Due', 'At stake', 'Status', 'Blocks sign-off', 'Summary'].concat(canWork ? ['Work it'] : []),
      shown.map(x => [link('/exceptions/' + enc(x.exception_id), x.exception_id), x.category, x.owner, x.due_date,
        (x.delta || '0') + ' ' + (x.currency || ''), x.status, x.blocking ? 'yes' : 'no', x.summary]
        .concat(canWork ? [actions(x)] : [])), [4]));
}

// Assign, acknowledge, resolve and waive (PATCH /v1/exceptions/{id}), each a small form.
function actions(x) {
  const id = x.exception_id;
  const slug = id.replace(/[^A-Za-z0-9]/g, '-');
  const send = async (body) => {
    try {
      await api('/v1/exceptions/' + enc(id), { method: 'PATCH', body });
      say(id + ': ' + body.action + ' recorded.');
      route();
    } catch (err) { say(err.message, true); }
  };
  const closed = ['resolved', 'waived'].includes(x.status);
  if (closed) return '—';
  const owner = h('input', { id: 'owner-' + slug, size: 10, 'aria-label': 'New owner of ' + id });
  const note = h('input', { id: 'note-' + slug, size: 16, 'aria-label': 'Note or reason for ' + id });
  return h('div', { class: 'actions' },
    owner, h('button', { type: 'button', onclick: () => send({ action: 'assign', owner: owner.value }) }, 'Assign'),
    x.status === 'open' ? h('button', { type: 'button', onclick: () => send({ action: 'acknowledge' }) }, 'Acknowledge') : null,
    h('br'), note,
    h('button', { type: 'button', onclick: () => send({ action: 'resolve', note: note.value }) }, 'Resolve'),
    h('button', { type: 'button', onclick: () => send({ action: 'waive', reason: note.value }) }, 'Waive'));
}

async function exceptionPage(id) {
  const x = await api('/v1/exceptions/' + enc(id));
  show('Exception ' + id,
    h('p', {}, x.category, ' · ', x.severity, ' · owner ', x.owner, ' · due ', x.due_date, ' · ', h('strong', {}, x.status)),
    h('p', {}, x.summary),
    table('Legs', ['Leg', 'Quantity', 'Unit price', 'Amount', 'Detail'], x.legs.map(l => [l.name, l.quantity, l.unit_price, l.amount, l.detail]), [1, 2, 3]),
    h('ol', { class: 'timeline', 'aria-label': 'History' }, x.history.map(s0 =>
      h('li', {}, h('h3', {}, s0.action + (s0.actor ? ' by ' + s0.actor : '')), h('p', {}, s0.note || '')))));
}

// ---- ops: margin against the floors -------------------------------------------------------------

function marginChart(rows, title) {
  const barH = 22, gap = 8, left = 190, width = 420, top = 24;
  const pcts = rows.map(r => parseFloat(r.margin_pct || '0'));
  const floors = rows.map(r => (r.floor_pct_max === null ? null : parseFloat(r.floor_pct_max)));
  const max = Math.max(10, ...pcts, ...floors.filter(f => f !== null)) * 1.1;
  const x = (v) => left + Math.max(0, v) / max * width;
  const height = top + rows.length * (barH + gap) + 10;
  const svg = s('svg', { class: 'chart', role: 'img', viewBox: '0 0 ' + (left + width + 90) + ' ' + height, width: '100%', 'aria-labelledby': 'chart-title' },
    s('title', { id: 'chart-title' }, title));
  svg.append(s('text', { x: left, y: 14 }, 'margin % (bar) against the floor (dashed line); red: below the floor'));
  rows.forEach((r, i) => {
    const y = top + i * (barH + gap);
    const breach = r.floor_breaches > 0 || (floors[i] !== null && pcts[i] < floors[i]);
    svg.append(s('text', { x: 0, y: y + barH * 0.7 }, r.key + ' ' + r.currency));
    svg.append(s('rect', { class: 'bar' + (breach ? ' breach' : ''), x: left, y, width: Math.max(1, x(pcts[i]) - left), height: barH }));
    svg.append(s('text', { x: x(pcts[i]) + 4, y: y + barH * 0.7 }, (r.margin_pct === null ? '—' : r.margin_pct + '%')));
    if (floors[i] !== null) svg.append(s('line', { class: 'floor', x1: x(floors[i]), x2: x(floors[i]), y1: y - 2, y2: y + barH + 2 }));
  });
  return svg;
}

async function marginPage(query) {
  const period = query.get('period') || await latestPeriod();
  if (!period) return show('Margin', h('p', {}, 'No period yet.'));
  const by = query.get('by') === 'sku' ? 'sku' : 'partner';
  const m = await api('/v1/periods/' + enc(period) + '/margin?by=' + by);
  const floorText = (r) => (r.floor_pct_max === null ? '—' : r.floor_pct_min === r.floor_pct_max ? r.floor_pct_max + '%' : r.floor_pct_min + '–' + r.floor_pct_max + '%');
  const breaches = m.rows.filter(r => r.floor_breaches > 0);
  show('Margin of ' + period + ' by ' + by,
    h('p', {}, m.basis === 'provisional'
      ? h('strong', {}, 'Provisional: priced now from the usage loaded so far (ledger size ' + m.tree_size + '); the final pricing supersedes it.')
      : 'As recorded: the period\'s priced lines (ledger size ' + m.tree_size + ').'),
    h('p', {}, link('/margin?period=' + enc(period) + '&by=partner', 'By partner'), ' · ', link('/margin?period=' + enc(period) + '&by=sku', 'By SKU')),
    breaches.length ? h('p', { class: 'breach' }, breaches.length + ' below the floor: ' + breaches.map(r => r.key + ' ' + r.currency).join(', '))
      : h('p', { class: 'ok' }, 'No line below its floor.'),
    marginChart(m.rows, 'Margin % by ' + by + ' against the floor'),
    table('Margin by ' + by, [by === 'sku' ? 'SKU' : 'Partner', 'Currency', 'Lines', 'Cost', 'Sell', 'Margin', 'Margin %', 'Floor', 'Below floor'],
      m.rows.concat(m.totals).map(r => [r.key === '*' ? 'total' : r.key, r.currency, String(r.lines), r.cost, r.sell, r.margin,
        r.margin_pct === null ? '—' : r.margin_pct, floorText(r),
        r.floor_breaches ? h('span', { class: 'breach' }, String(r.floor_breaches)) : '0']), [2, 3, 4, 5, 6, 8]));
}

// ---- finance: the statement to sign offline, and the signature --------------------------------

async function signoffPage(query) {
  const period = query.get('period') || await latestPeriod();
  if (!period) return show('Sign-off', h('p', {}, 'No period yet.'));
  const override = query.get('override_reason') || '';
  const base = '/v1/periods/' + enc(period) + '/statement';
  const withOverride = (q) => base + (q || override ? '?' : '') + [q, override ? 'override_reason=' + enc(override) : ''].filter(Boolean).join('&');
  let statement = null, summary = null, problem = null;
  try {
    statement = await api(withOverride(''), { accept: 'text/plain' });
    summary = await api(withOverride('view=summary'), { accept: 'text/plain' });
  } catch (err) {
    if (err instanceof Stale) throw err;
    problem = err.message;
  }
  if (problem) return show('Sign-off of ' + period, h('p', { class: 'error' }, 'No statement can be made now: ' + problem));
  const blocked = / blocking [1-9]/.test(summary) && !override;
  const reason = h('input', { id: 'override', size: 60, value: override });
  const overrideForm = h('form', {
    onsubmit: (e) => {
      e.preventDefault();
      const q = new URLSearchParams({ period });
      if (reason.value.trim()) q.set('override_reason', reason.value.trim());
      location.hash = '#/signoff?' + q.toString();
    },
  }, h('label', { for: 'override' }, 'Override reason'), reason, h('button', { type: 'submit' }, 'Make the statement with this reason'));
  const signature = h('textarea', { id: 'signature', rows: 4, required: true });
  const file = h('input', { id: 'signature-file', type: 'file', accept: '.sig,.txt,text/plain' });
  file.addEventListener('change', async () => { if (file.files[0]) signature.value = await file.files[0].text(); });
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      const body = { statement, signatures: signature.value };
      if (override) body.override_reason = override;
      try {
        const r = await api('/v1/periods/' + enc(period) + '/signoff', { method: 'POST', body });
        state.flash = 'Signed off: entry ' + r.entry + '.';
        location.hash = '#/periods/' + enc(period);
      } catch (err) { say(err.message, true); }
    },
  }, h('label', { for: 'signature-file' }, 'Signature file'), file, h('br'),
  h('label', { for: 'signature' }, 'or paste the signature lines'), signature, h('br'),
  h('button', { type: 'submit' }, 'Submit the sign-off'));
  show('Sign-off of ' + period,
    blocked ? h('p', { class: 'error' }, 'Blocking exceptions are open: resolve them, or make the statement with an override reason, which the summary records.') : null,
    override ? h('p', {}, 'Override reason: ', h('strong', {}, override)) : null,
    h('h2', {}, 'The summary you sign'), h('pre', {}, summary),
    overrideForm,
    h('ol', {},
      h('li', {}, download(withOverride(''), 'Download the statement', 'statement-' + period + '.txt'), ' and ',
        download(withOverride('view=summary'), 'the summary it commits to', 'summary-' + period + '.txt'), '.'),
      h('li', {}, 'Sign on your own machine, with your key (it checks the statement against the summary):',
        h('pre', {}, 'closebook sign --key finance.key statement-' + period + '.txt --summary summary-' + period + '.txt > statement-' + period + '.sig')),
      h('li', {}, 'Upload the signature here.')),
    h('h2', {}, 'The statement'), h('pre', {}, statement),
    form);
}

// ---- auditor: checkpoint, witnesses, bundles --------------------------------------------------

async function auditPage() {
  const cp = await api('/v1/checkpoint');
  const lines = cp.note.split('\n');
  const sigs = lines.filter(l => l.startsWith('— ')).map(l => l.slice(2).split(' ')[0]);
  const invoice = h('input', { id: 'bundle-invoice', size: 30 });
  const line = h('input', { id: 'bundle-line', size: 48 });
  const fetchBundle = (kind, input) => (e) => {
    e.preventDefault();
    const id = input.value.trim();
    download('/v1/' + kind + '/' + enc(id) + '/bundle', '', 'bundle-' + id + '.json').click();
  };
  show('Audit',
    h('p', {}, 'Log ', h('code', {}, cp.origin), ', size ', String(cp.size), ', root ', h('code', {}, cp.root_hash)),
    h('h2', {}, 'The latest checkpoint'), h('pre', {}, cp.note),
    download('/v1/checkpoint', 'Download the checkpoint (JSON)', 'checkpoint.json'),
    h('h2', {}, 'Signatures'),
    h('ul', {}, sigs.map(name => h('li', {}, name === cp.origin ? name + ' (the log)' : name + ' (a witness)'))),
    sigs.length > 1 ? null : h('p', {}, 'No witness has cosigned this checkpoint.'),
    h('h2', {}, 'Evidence bundles'),
    h('form', { onsubmit: fetchBundle('invoices', invoice) }, h('label', { for: 'bundle-invoice' }, 'Invoice id'), invoice, h('button', { type: 'submit' }, 'Download its bundle')),
    h('form', { onsubmit: fetchBundle('lines', line) }, h('label', { for: 'bundle-line' }, 'Line id'), line, h('button', { type: 'submit' }, 'Download its bundle')),
    h('pre', {}, 'closebook-verify bundle BUNDLE.json --key log.vkey'));
}

// ---- routing ------------------------------------------------------------------------------------

function notFound() {
  show('Not found', h('p', {}, 'There is nothing here, or nothing you may see.'), link('/periods', 'Back to the periods'));
}

const ROUTES = [
  [/^\/?$/, () => (isPartner() || role() === 'gl' ? periodsPage() : exceptionsPage(new URLSearchParams()))],
  [/^\/periods$/, () => periodsPage()],
  [/^\/periods\/([^/]+)$/, (m) => periodPage(decodeURIComponent(m[1]))],
  [/^\/invoices\/([^/]+)$/, (m) => invoicePage(decodeURIComponent(m[1]))],
  [/^\/invoices\/([^/]+)\/print$/, (m) => printPage(decodeURIComponent(m[1]))],
  [/^\/lines$/, (m, q) => linesPage(q.get('period') || '')],
  [/^\/lines\/([^/]+)$/, (m) => linePage(decodeURIComponent(m[1]))],
  [/^\/disputes$/, () => disputesPage()],
  [/^\/disputes\/([^/]+)$/, (m) => disputePage(decodeURIComponent(m[1]))],
  [/^\/exceptions$/, (m, q) => exceptionsPage(q)],
  [/^\/exceptions\/([^/]+)$/, (m) => exceptionPage(decodeURIComponent(m[1]))],
  [/^\/margin$/, (m, q) => marginPage(q)],
  [/^\/signoff$/, (m, q) => signoffPage(q)],
  [/^\/audit$/, () => auditPage()],
];

async function route() {
  ++generation;
  if (!state.session) return signInPage();
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query] = hash.split('?');
  for (const [pattern, page] of ROUTES) {
    const m = path.match(pattern);
    if (!m) continue;
    try {
      await page(m, new URLSearchParams(query || ''));
    } catch (err) {
      if (err instanceof Stale) return;
      if (err.status === 401) { state.session = null; renderChrome(); return signInPage('Your session ended; sign in again.'); }
      if (err.status === 404) return notFound();
      show('Something went wrong', h('p', { class: 'error' }, err.message));
    }
    return;
  }
  notFound();
}

async function start() {
  try { state.session = await api('/v1/session'); } catch (err) { state.session = null; }
  renderChrome();
  // A message meant for the next page (state.flash) outlives the navigation; others do not.
  window.addEventListener('hashchange', () => { say(state.flash || ''); state.flash = null; route(); });
  route();
}

start();

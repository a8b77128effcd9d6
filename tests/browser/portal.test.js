// The portal in a real browser (docs/portal.md §5): Debian's Chromium, driven by playwright-core,
// against a real closebookd on loopback serving the ledger tests/browser/setup.sh made.
// Environment: BASE (http://127.0.0.1:PORT), TOKENS (setup.sh's tokens file), VERIFY (the
// closebook-verify binary), VKEY (the log's verifier key file), OUT (downloads and screenshots).
'use strict';
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE;
const OUT = process.env.OUT;
const tokens = Object.fromEntries(fs.readFileSync(process.env.TOKENS, 'utf8').trim().split('\n').map(l => l.split(' ')));
const shots = path.join(OUT, 'screenshots');
fs.mkdirSync(shots, { recursive: true });

let failures = 0;
async function step(name, fn) {
  try {
    await fn();
    console.log('ok   ' + name);
  } catch (err) {
    failures++;
    console.log('FAIL ' + name + '\n     ' + String(err && err.stack || err).split('\n').slice(0, 6).join('\n     '));
  }
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });
}

// Signs in with the keyboard only: focus starts in the token field, Enter submits.
async function signIn(context, who) {
  const page = await context.newPage();
  page.on('pageerror', (e) => { failures++; console.log('FAIL page error: ' + e.message); });
  await page.goto(BASE + '/');
  await page.getByLabel('API token').waitFor();
  await page.keyboard.type(tokens[who]);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return page;
}

async function heading(page) { return (await page.locator('h1').textContent()).trim(); }
async function go(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction((h) => location.hash === h, hash);
  await page.waitForTimeout(50);
  await page.waitForLoadState('networkidle');
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const fresh = () => browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 900 } });

  // ---- a partner ----
  const partnerContext = await fresh();
  let page;
  await step('a partner signs in with the keyboard, and the session cookie is HttpOnly and SameSite=Strict', async () => {
    page = await signIn(partnerContext, 'partner:P001');
    const cookies = await partnerContext.cookies();
    const session = cookies.find(c => c.name === 'closebook_session');
    assert.ok(session, 'a session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie), '', 'no script can read the cookie');
  });
  await step('the partner sees its own periods and invoices only', async () => {
    await go(page, '#/periods');
    const text = await page.locator('main').textContent();
    assert.match(text, /INV-2026-10-P001/);
    assert.doesNotMatch(text, /P002|P003|P004/);
    await shot(page, 'partner-periods');
  });
  let lineId;
  await step('the partner opens an invoice: items, totals, downloads and the verify command', async () => {
    await go(page, '#/invoices/INV-2026-10-P001');
    assert.equal(await heading(page), 'Invoice INV-2026-10-P001');
    assert.match(await page.locator('main').textContent(), /closebook-verify bundle/);
    lineId = (await page.locator('tbody a[href^="#/lines/"]').first().textContent()).trim();
    await shot(page, 'partner-invoice');
    const csv = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Invoice as CSV' }).click();
    const file = path.join(OUT, 'invoice.csv');
    await (await csv).saveAs(file);
    assert.match(fs.readFileSync(file, 'utf8'), /INV-2026-10-P001/);
  });
  await step('the printable tax invoice renders and prints to PDF', async () => {
    await go(page, '#/invoices/INV-2026-10-P001/print');
    assert.equal(await heading(page), 'Tax invoice INV-2026-10-P001');
    const text = await page.locator('main').textContent();
    assert.match(text, /Sample Distributor Pty Ltd · ABN 12 345 679 016/);
    assert.match(text, /To Harbour IT Pty Ltd \(partner P001, AU\)/);
    await shot(page, 'partner-tax-invoice');
    await page.emulateMedia({ media: 'print' });
    await page.pdf({ path: path.join(OUT, 'INV-2026-10-P001.pdf') });
    await page.emulateMedia({ media: 'screen' });
    assert.ok(fs.statSync(path.join(OUT, 'INV-2026-10-P001.pdf')).size > 1000);
  });
  await step('the partner opens a line\'s lineage as a timeline', async () => {
    await go(page, '#/lines/' + lineId);
    const text = await page.locator('ol.timeline').textContent();
    for (const part of ['Usage', 'Priced line', 'FX', 'Sign-off', 'Invoice']) assert.match(text, new RegExp(part));
    assert.doesNotMatch(await page.locator('main').textContent(), /costAmount|marginAmount/, 'no cost reaches a partner');
    await shot(page, 'partner-lineage');
  });
  await step('the partner downloads the line\'s bundle, and closebook-verify accepts it', async () => {
    const dl = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Evidence bundle' }).click();
    const file = path.join(OUT, 'bundle-line.json');
    await (await dl).saveAs(file);
    const report = execFileSync(process.env.VERIFY, ['bundle', file, '--key', process.env.VKEY, '--allow-withheld'], { encoding: 'utf8' });
    assert.match(report, /OK|ok|verified/i);
  });
  let disputeId;
  await step('the partner raises a dispute on the line and follows it', async () => {
    await page.getByLabel('Amount in dispute').fill('3.50');
    await page.getByLabel('Reason').fill('two seats were removed on 10-20');
    await page.getByRole('button', { name: 'Raise the dispute' }).click();
    await page.waitForFunction(() => location.hash.startsWith('#/disputes/DSP-'));
    await page.waitForLoadState('networkidle');
    disputeId = decodeURIComponent((await page.evaluate(() => location.hash)).slice('#/disputes/'.length));
    await page.locator('h1', { hasText: disputeId }).waitFor();
    assert.match(await page.locator('main').textContent(), /status open/);
    await shot(page, 'partner-dispute');
    await go(page, '#/disputes');
    assert.match(await page.locator('main').textContent(), new RegExp(disputeId));
  });
  await step('another partner\'s invoice and line give the same "not found" page as ids that do not exist', async () => {
    const pages = {};
    for (const hash of ['#/invoices/INV-2026-10-P002', '#/invoices/INV-2026-10-NOPE', '#/lines/PL-2026-10-0000']) {
      await go(page, hash);
      pages[hash] = await page.locator('main').innerHTML();
      assert.equal(await heading(page), 'Not found', hash);
    }
    assert.equal(pages['#/invoices/INV-2026-10-P002'], pages['#/invoices/INV-2026-10-NOPE']);
    await shot(page, 'partner-not-found');
  });
  await step('a write without the session\'s CSRF token is refused', async () => {
    const status = await page.evaluate(async () => (await fetch('/v1/disputes', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, credentials: 'same-origin',
      body: JSON.stringify({ line_id: 'x', reason: 'y', amount: '1' }) })).status);
    assert.equal(status, 403);
  });
  await step('signing out ends the session on the server', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    const status = await page.evaluate(async () => (await fetch('/v1/session')).status);
    assert.equal(status, 401);
  });

  // ---- ops ----
  const opsContext = await fresh();
  await step('ops sees the queue by money at stake and acknowledges an exception', async () => {
    page = await signIn(opsContext, 'ops');
    await go(page, '#/exceptions?period=2026-10');
    await page.locator('table').waitFor();
    await shot(page, 'ops-exceptions');
    const row = page.locator('tbody tr', { has: page.getByRole('button', { name: 'Acknowledge' }) }).first();
    const id = (await row.locator('td').first().textContent()).trim();
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    await page.locator('#status', { hasText: id + ': acknowledge recorded.' }).waitFor();
    const x = await page.evaluate(async (i) => (await fetch('/v1/exceptions/' + encodeURIComponent(i))).json(), id);
    assert.equal(x.status, 'acknowledged');
    assert.match(x.history[x.history.length - 1].actor, /browser ops/);
  });
  await step('ops filters the queue by category', async () => {
    await page.getByLabel('Category').selectOption('DISPUTE');
    await page.getByLabel('Status').selectOption('all');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForFunction(() => location.hash.includes('category=DISPUTE'));
    // The filtered page replaces the whole queue: wait for it rather than for the network.
    await page.waitForFunction(() => {
      const cells = [...document.querySelectorAll('tbody tr td:nth-child(2)')].map(td => td.textContent);
      return cells.length >= 1 && cells.every(c => c === 'DISPUTE');
    }, null, { timeout: 10000 });
  });
  await step('the open period\'s provisional margin shows the SKU below its floor', async () => {
    await go(page, '#/margin?period=2026-11&by=sku');
    const text = await page.locator('main').textContent();
    assert.match(text, /Provisional/);
    assert.match(text, /below the floor: CFQ7TTC0LCHC:0002 AUD/);
    assert.equal(await page.locator('svg.chart rect.bar.breach').count(), 1);
    await shot(page, 'ops-margin-provisional');
    await go(page, '#/margin?period=2026-10&by=partner');
    assert.match(await page.locator('main').textContent(), /As recorded/);
  });
  await step('ops sees a period\'s state timeline', async () => {
    await go(page, '#/periods/2026-10');
    const text = await page.locator('ol.timeline').textContent();
    assert.match(text, /Matched/);
    assert.match(text, /Signed off/);
    assert.match(text, /Invoiced/);
    await shot(page, 'ops-period');
  });

  // ---- finance ----
  const financeContext = await fresh();
  await step('finance reviews the summary, makes the statement with an override, signs it offline and uploads the signature', async () => {
    page = await signIn(financeContext, 'finance');
    await go(page, '#/signoff?period=2026-10');
    assert.match(await page.locator('main').textContent(), /No statement can be made now/, 'a signed period has none');
    await go(page, '#/signoff?period=2026-11');
    assert.match(await page.locator('main').textContent(), /Blocking exceptions are open/);
    await page.getByLabel('Override reason').fill('orphan billing: the test loads no vendor invoice');
    await page.getByRole('button', { name: 'Make the statement with this reason' }).click();
    await page.waitForFunction(() => location.hash.includes('override_reason='));
    await page.locator('main', { hasText: 'override orphan billing' }).waitFor();
    await shot(page, 'finance-signoff');
    const files = {};
    for (const [name, text] of [['statement', 'Download the statement'], ['summary', 'the summary it commits to']]) {
      const dl = page.waitForEvent('download');
      await page.getByRole('link', { name: text }).click();
      files[name] = path.join(OUT, name + '-2026-11.txt');
      await (await dl).saveAs(files[name]);
    }
    // Finance's key never reaches the server: the signature is made here, as on finance's machine.
    const sig = execFileSync(process.env.CLOSEBOOK, ['sign', '--key', path.join(OUT, 'finance.key'), '--passphrase-file',
      path.join(OUT, 'finance.pass'), files.statement, '--summary', files.summary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    fs.writeFileSync(path.join(OUT, 'statement-2026-11.sig'), sig);
    await page.getByLabel('Signature file').setInputFiles(path.join(OUT, 'statement-2026-11.sig'));
    await page.waitForFunction(() => document.getElementById('signature').value.includes('— '));
    await page.getByRole('button', { name: 'Submit the sign-off' }).click();
    await page.waitForFunction(() => location.hash === '#/periods/2026-11');
    await page.locator('ol.timeline', { hasText: 'Signed off' }).waitFor();
    assert.match(await page.locator('#status').textContent(), /Signed off: entry \d+/);
  });

  // ---- auditor ----
  const auditorContext = await fresh();
  await step('the auditor sees the checkpoint and its signatures, and downloads an invoice bundle', async () => {
    page = await signIn(auditorContext, 'auditor');
    await go(page, '#/audit');
    assert.match(await page.locator('main').textContent(), /closebook\.test\/portal \(the log\)/);
    await shot(page, 'auditor');
    await page.getByLabel('Invoice id').fill('INV-2026-10-P001');
    const dl = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download its bundle' }).first().click();
    const file = path.join(OUT, 'bundle-invoice.json');
    await (await dl).saveAs(file);
    execFileSync(process.env.VERIFY, ['bundle', file, '--key', process.env.VKEY], { encoding: 'utf8' });
  });

  await step('at 200% zoom the invoice page reads without sideways scrolling', async () => {
    const zoomed = await browser.newContext({ viewport: { width: 640, height: 900 }, deviceScaleFactor: 2 });
    const p = await signIn(zoomed, 'partner:P001');
    await go(p, '#/periods');
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, 'overflows by ' + overflow + ' px');
    await shot(p, 'partner-periods-zoom-200');
    await zoomed.close();
  });

  await browser.close();
  console.log(failures ? failures + ' failed' : 'all passed');
  process.exit(failures ? 1 : 0);
})().catch((err) => { console.error(err); process.exit(1); });

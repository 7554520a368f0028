// What the console's browser tests share: Debian's chromium through
// playwright-core, signing in at the test identity provider (idp.mjs),
// screenshots kept as test artifacts, and a watch on each page that fails
// the test on a console error or a Content-Security-Policy violation.
//
// Environment (set by ./run): STEPD_URL (stepd's origin), IDP_URL (the
// issuer), ARTIFACTS_DIR (where screenshots go).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const STEPD_URL = process.env.STEPD_URL;
export const IDP_URL = process.env.IDP_URL;
export const ARTIFACTS_DIR = process.env.ARTIFACTS_DIR;
assert.ok(STEPD_URL && IDP_URL && ARTIFACTS_DIR, 'STEPD_URL, IDP_URL and ARTIFACTS_DIR must be set (tests/console/run sets them)');

export const CONSOLE_URL = `${STEPD_URL}/console/`;
const SESSION_KEY = 'stepd.console.session';
const WAIT_MS = 15000;

// A headless chromium with a fresh profile. Close it when done.
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    headless: true,
  });
}

// Failed loads that are no fault of the page: the console answers a browser
// without a credential 401 with the page itself (the page then signs the
// user in).
function expectedError(text, url) {
  return /^Failed to load resource: the server responded with a status of 401/.test(text) &&
    url.startsWith(CONSOLE_URL);
}

// A page in a context of its own (its own cookies and sessionStorage), with
// `problems` collecting console errors, uncaught exceptions and CSP
// violations on stepd's pages (not on the identity provider's).
export async function openPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const problems = [];
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} ` +
        `(${e.sourceFile || ''}:${e.lineNumber || ''})`);
    });
  });
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const url = message.location().url || page.url();
    if (!url.startsWith(STEPD_URL) || expectedError(message.text(), url)) return;
    problems.push(`console error on ${url}: ${message.text()}`);
  });
  page.on('pageerror', (error) => {
    if (page.url().startsWith(STEPD_URL)) problems.push(`uncaught on ${page.url()}: ${error.message}`);
  });
  return {
    page,
    problems,
    // Fails the test when anything went wrong on the page.
    checkClean() {
      assert.deepEqual(problems, [], 'the console logged errors or CSP violations');
    },
    close: () => context.close(),
  };
}

// Signs `user` in through the identity provider's login form (any password)
// and waits until the console names the user.
export async function signIn(page, user) {
  await page.goto(CONSOLE_URL);
  await page.locator('[data-testid=sign-in]').click();
  await page.waitForURL((url) => url.href.startsWith(IDP_URL), { timeout: WAIT_MS });
  await page.locator('input[name=login]').fill(user);
  await page.locator('input[name=password]').fill('any password');
  await page.locator('button[type=submit]').click();
  await page.waitForURL((url) => url.href.startsWith(CONSOLE_URL), { timeout: WAIT_MS });
  await page.locator('[data-testid=user]').filter({ hasText: user }).waitFor({ timeout: WAIT_MS });
}

// The bearer token the signed-in console sends to stepd, as the page keeps it.
export async function apiToken(page) {
  const session = await page.evaluate((key) => sessionStorage.getItem(key), SESSION_KEY);
  assert.ok(session, 'the page holds no session');
  const { token } = JSON.parse(session);
  assert.ok(token, 'the session holds no token');
  return token;
}

// The page's sessionStorage entry for the session, or null.
export function storedSession(page) {
  return page.evaluate((key) => sessionStorage.getItem(key), SESSION_KEY);
}

// A full-page PNG in ARTIFACTS_DIR/<name>.png; returns its path.
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

// A REST call to stepd with `token`: {status, body (parsed JSON or text)}.
export async function rest(method, path, token, body) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${STEPD_URL}${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed };
}

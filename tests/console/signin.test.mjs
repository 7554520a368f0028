// Signing in to the console at a real OpenID provider, in a real browser:
// the authorization code flow with PKCE from the page, the id_token it gets
// accepted by stepd's REST API with the user's role, and signing out.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CONSOLE_URL, apiToken, launchBrowser, openPage, rest, screenshot, signIn, storedSession,
} from './common.mjs';

const WAIT_MS = 15000;
let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

// Runs `body` with a fresh page, which must stay free of errors; a failure
// says what the page logged.
async function withPage(body) {
  const tab = await openPage(browser);
  try {
    await body(tab.page);
  } catch (error) {
    if (tab.problems.length > 0) error.message += `\nthe page logged:\n${tab.problems.join('\n')}`;
    throw error;
  } finally {
    await tab.close();
  }
  tab.checkClean();
}

test('alice signs in at the identity provider and the console shows her name', { timeout: 60000 }, async () => {
  await withPage(async (page) => {
    await signIn(page, 'alice');
    assert.equal(new URL(page.url()).search, '', 'the code and state are gone from the address');
    assert.match(await page.locator('[data-testid=user]').textContent(), /alice/);
    // The CSP let the inline style in (a refused one has no sheet) and the
    // inline script run (it drew the page).
    assert.ok(await page.evaluate(() => document.querySelector('style')?.sheet !== null));
    await screenshot(page, 'signed-in-alice');
  });
});

test("the page's token calls the REST API as the signed-in user, with the user's role", { timeout: 60000 }, async () => {
  await withPage(async (page) => {
    await signIn(page, 'alice');
    const alice = await apiToken(page);
    const list = await rest('GET', '/v1/state-machines', alice);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.ok(Array.isArray(list.body.items));
    // alice is bound to admin: she may create.
    const definition = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };
    const created = await rest('POST', '/v1/state-machines', alice, {
      name: `console-e2e-${Date.now()}`, definition,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  await withPage(async (page) => {
    // victor has no binding: the default role, viewer, reads and may not create.
    await signIn(page, 'victor');
    const victor = await apiToken(page);
    assert.equal((await rest('GET', '/v1/state-machines', victor)).status, 200);
    const refused = await rest('POST', '/v1/state-machines', victor, {
      name: 'console-e2e-victor', definition: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
    });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
  });
  // And without the token, nothing.
  assert.equal((await rest('GET', '/v1/state-machines')).status, 401);
});

test('without a session the console offers to sign in', { timeout: 60000 }, async () => {
  await withPage(async (page) => {
    const response = await page.goto(CONSOLE_URL);
    // A browser without a credential gets the page with the REST API's 401.
    assert.equal(response.status(), 401);
    assert.equal(response.headers()['www-authenticate'], 'Bearer');
    const button = page.locator('[data-testid=sign-in]');
    await button.waitFor({ timeout: WAIT_MS });
    assert.match(await button.textContent(), /Sign in/);
    assert.equal(await storedSession(page), null);
    await screenshot(page, 'signed-out');
  });
});

test('signing out forgets the session', { timeout: 60000 }, async () => {
  await withPage(async (page) => {
    await signIn(page, 'alice');
    assert.notEqual(await storedSession(page), null);
    await page.locator('[data-testid=sign-out]').click();
    await page.locator('[data-testid=sign-in]').waitFor({ timeout: WAIT_MS });
    assert.equal(await storedSession(page), null);
    // Still signed out once the page loads again.
    await page.reload();
    await page.locator('[data-testid=sign-in]').waitFor({ timeout: WAIT_MS });
    assert.equal(await page.locator('[data-testid=user]').count(), 0);
  });
});

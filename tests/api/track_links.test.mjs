// Signed customer links: the team's share endpoint, the customer's token lookups, and what an
// expired or tampered link gets. Tokens the server never issued (expired, other secret) are
// signed here with the run's SHARE_SECRET (tests/support/track.mjs).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  BASE_URL, DEMO_PASSWORD, DEMO_SALES, api, assertApiError, bearer, ensureDemoData, signIn,
} from '../support/api.mjs';
import { assertCustomerShape, readToken, signToken, signV1Token } from '../support/track.mjs';

// GD-DEMO-008: shipped, in 发货发票 (domain/src/demo.rs).
const SHIPPED = { number: 'GD-DEMO-008', digits: '8899', company: '青岛海昌水产有限公司' };
const DAY = 24 * 3600 * 1000;

let token;
let orderId;

before(async () => {
  await ensureDemoData();
  token = (await signIn(DEMO_SALES.login, DEMO_PASSWORD)).token;
  const lookup = await api('/api/track/lookup', { json: { order_number: SHIPPED.number, phone_last4: SHIPPED.digits } });
  assert.equal(lookup.status, 200, lookup.text);
  orderId = readToken(lookup.json.access.token).orderId;
});

const share = (id, headers = bearer(token)) => api(`/api/orders/${id}/share`, { method: 'POST', headers });

test('sharing an order needs a signed-in team member', async () => {
  for (const headers of [{}, { authorization: 'Bearer forged-token-0000000000000000000000000000000' }]) {
    const response = await share(orderId, headers);
    assertApiError(response, 401, 'unauthorized');
    assert.equal(response.json.url, undefined);
  }
});

test('the share answer is a 30-day link on this origin, its token and a QR code of the link', async () => {
  const before = Date.now();
  const response = await share(orderId);
  assert.equal(response.status, 200, response.text);
  assert.deepEqual(Object.keys(response.json).sort(), ['expires_at', 'qr_svg', 'token', 'url']);
  const { url, token: linkToken, expires_at, qr_svg } = response.json;
  assert.equal(url, `${BASE_URL}/t/${linkToken}`);
  assert.match(linkToken, /^[A-Za-z0-9_-]{35}\.[A-Za-z0-9_-]{22}$/, 'short and URL-safe');
  const claims = readToken(linkToken);
  assert.equal(claims.orderId, orderId);
  assert.equal(new Date(expires_at).getTime(), claims.expiresAt.getTime());
  const days = (claims.expiresAt.getTime() - before) / DAY;
  assert.ok(days > 29.99 && days <= 30.01, `valid for ${days} days`);
  // A standalone SVG document: one root element, square, with dark modules drawn.
  assert.match(qr_svg, /^(<\?xml[^>]*\?>\s*)?<svg\b[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(qr_svg, /<\/svg>\s*$/);
  assert.equal(qr_svg.match(/<svg\b/g).length, 1);
  const [, width, height] = qr_svg.match(/<svg\b[^>]*width="(\d+)"[^>]*height="(\d+)"/);
  assert.equal(width, height);
  assert.ok(Number(width) >= 200);
  assert.match(qr_svg, /<path\b[^>]*d="M/);

  // The link works without the phone digits, in both languages.
  const opened = await api(`/api/track/t/${linkToken}`);
  assert.equal(opened.status, 200, opened.text);
  assert.equal(opened.json.order_number, SHIPPED.number);
  assert.equal(opened.json.company, SHIPPED.company);
  assert.equal(opened.json.access.token, linkToken);
  assertCustomerShape(opened.json, { withAccess: true });
  const english = await api(`/api/track/t/${linkToken}?lang=en`);
  assert.match(english.json.stages.find((stage) => stage.state === 'current').label, /ship/i);
});

test('sharing an unknown order or a malformed id is 404', async () => {
  assertApiError(await share(randomUUID()), 404, 'order_not_found');
  assertApiError(await share('not-a-uuid'), 404, 'order_not_found');
});

test('a lookup hands out a two-hour token for that order', async () => {
  const before = Date.now();
  const { json } = await api('/api/track/lookup', { json: { order_number: SHIPPED.number, phone_last4: SHIPPED.digits } });
  const claims = readToken(json.access.token);
  assert.equal(claims.orderId, orderId);
  const hours = (claims.expiresAt.getTime() - before) / 3600_000;
  assert.ok(hours > 1.99 && hours <= 2.01, `valid for ${hours} hours`);
  assert.equal((await api(`/api/track/t/${json.access.token}`)).json.order_number, SHIPPED.number);
});

test('an expired link says so; tampered, foreign and malformed links are just invalid', async () => {
  const expired = signToken(orderId, new Date(Date.now() - 60_000));
  const expiredAnswer = await api(`/api/track/t/${expired}`);
  const error = assertApiError(expiredAnswer, 410, 'link_expired');
  assert.match(error.message, /过期/);
  assert.match(error.message_en, /expired/);

  const valid = signToken(orderId, new Date(Date.now() + DAY));
  const flip = (text, index) => text.slice(0, index) + (text[index] === 'A' ? 'B' : 'A') + text.slice(index + 1);
  const invalid = [
    flip(valid, 3), // the order id
    flip(valid, 24), // the expiry: a longer life is not for the asking
    flip(valid, 40), // the signature
    signToken(orderId, new Date(Date.now() + DAY), 'another-secret-that-is-long-enough-0123456789'),
    // Expired AND tampered: still only "invalid", so nothing is learned about the parts.
    flip(expired, 40),
    valid.replace('.', ''),
    'abc',
  ];
  const bodies = new Set();
  for (const bad of invalid) {
    const answer = await api(`/api/track/t/${encodeURIComponent(bad)}`);
    assertApiError(answer, 404, 'link_invalid');
    bodies.add(answer.text);
  }
  assert.equal(bodies.size, 1, 'every invalid link gets the very same answer');

  // Actions with a bad link are refused the same way, and change nothing.
  const rating = await api(`/api/track/t/${flip(valid, 40)}/rating`, { json: { stars: 1, comment: '伪造' } });
  assertApiError(rating, 404, 'link_invalid');
  assertApiError(await api(`/api/track/t/${expired}/rating`, { json: { stars: 1 } }), 410, 'link_expired');
  const after = await api(`/api/track/t/${valid}`);
  assert.equal(after.json.feedback, null);
});

test('a genuine link to an order that no longer exists is invalid', async () => {
  const answer = await api(`/api/track/t/${signToken(randomUUID(), new Date(Date.now() + DAY))}`);
  assertApiError(answer, 404, 'link_invalid');
});

test('the customer page of a link is HTML with a strict CSP, no referrer and no framing', async () => {
  const { json } = await share(orderId);
  const page = await fetch(json.url);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html; charset=utf-8/);
  const csp = page.headers.get('content-security-policy');
  for (const directive of ["default-src 'none'", "style-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) {
    assert.ok(csp.includes(directive), `${directive} in ${csp}`);
  }
  assert.doesNotMatch(csp, /script-src|unsafe-inline/);
  assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(page.headers.get('x-frame-options'), 'DENY');
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(page.headers.get('cache-control'), 'no-store');
  const html = await page.text();
  assert.match(html, /^<!DOCTYPE html><html lang="zh-CN">/);
  assert.ok(html.includes(SHIPPED.company));
  assert.doesNotMatch(html, /<script/i, 'no JavaScript at all');
  // The stylesheet it links is served, with a long cache life for that exact version.
  const href = html.match(/<link rel="stylesheet" href="([^"]+)"/)[1];
  const css = await fetch(`${BASE_URL}${href}`);
  assert.equal(css.status, 200);
  assert.match(css.headers.get('content-type'), /^text\/css/);
  assert.match(css.headers.get('cache-control'), /immutable/);

  const expired = await fetch(`${BASE_URL}/t/${signToken(orderId, new Date(Date.now() - 1000))}?lang=en`);
  assert.equal(expired.status, 410);
  const expiredHtml = await expired.text();
  assert.match(expiredHtml, /<html lang="en">/);
  assert.match(expiredHtml, /expired/);
  assert.match(expiredHtml, /<form method="post" action="\/track">/, 'the lookup form is offered instead');
});

// ---- per-order revocation (kept last: it voids this order's earlier links) ----------------------

const revoke = (id, headers = bearer(token)) => api(`/api/orders/${id}/share/revoke`, { method: 'POST', headers });

test('revoking needs a signed-in team member and a live order', async () => {
  assertApiError(await revoke(orderId, {}), 401, 'unauthorized');
  assertApiError(await revoke(randomUUID()), 404, 'order_not_found');
});

test('a link of the first format (before revocation existed) works until its order\'s links are revoked once', async () => {
  const lookup = await api('/api/track/lookup', { json: { order_number: 'GD-DEMO-003', phone_last4: '6789' } });
  assert.equal(lookup.status, 200, lookup.text);
  const otherOrder = readToken(lookup.json.access.token).orderId;
  const old = signV1Token(otherOrder, new Date(Date.now() + DAY));
  assert.equal(old.length, 50);
  assert.equal((await api(`/api/track/t/${old}`)).status, 200);
  assert.equal((await revoke(otherOrder)).status, 200);
  assertApiError(await api(`/api/track/t/${old}`), 404, 'link_invalid');
});

test('revoking an order\'s links voids every earlier one (shared or from a lookup) and answers a new link that works', async () => {
  const shared = (await share(orderId)).json.token;
  const lookup = await api('/api/track/lookup', { json: { order_number: SHIPPED.number, phone_last4: SHIPPED.digits } });
  const fromLookup = lookup.json.access.token;
  for (const link of [shared, fromLookup]) assert.equal((await api(`/api/track/t/${link}`)).status, 200);

  const revoked = await revoke(orderId);
  assert.equal(revoked.status, 200, revoked.text);
  assert.deepEqual(Object.keys(revoked.json).sort(), ['expires_at', 'qr_svg', 'token', 'url']);
  const never = await api(`/api/track/t/${signToken(randomUUID(), new Date(Date.now() + DAY))}`);
  for (const link of [shared, fromLookup]) {
    const answer = await api(`/api/track/t/${link}`);
    assertApiError(answer, 404, 'link_invalid');
    assert.equal(answer.text, never.text, 'a revoked link says no more than one that never existed');
    const rating = await api(`/api/track/t/${link}/rating`, { json: { stars: 5, comment: '' } });
    assertApiError(rating, 404, 'link_invalid');
    assert.equal((await fetch(`${BASE_URL}/t/${link}`)).status, 404, 'the page too');
  }
  // The new link, and any made or looked up after the revocation, work.
  assert.equal((await api(`/api/track/t/${revoked.json.token}`)).status, 200);
  assert.equal((await api(`/api/track/t/${(await share(orderId)).json.token}`)).status, 200);
  const again = await api('/api/track/lookup', { json: { order_number: SHIPPED.number, phone_last4: SHIPPED.digits } });
  assert.equal((await api(`/api/track/t/${again.json.access.token}`)).status, 200);
});

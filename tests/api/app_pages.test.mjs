// The two pages of the app (app/src/bundle.rs) as the worker serves them: every address of the
// field screens gets the field page, every /desk/… address the desk page, each with the app's
// security headers; the field page never names the desk bundle's files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '../support/api.mjs';

const FIELD = /<script[^>]*>[^<]*\/app-[0-9a-f]+\.js/;
const DESK = /\/desk-[0-9a-f]+(?:\.js|_bg\.wasm)/;

for (const path of ['/', '/login', '/today', '/orders/00000000-0000-4000-8000-000000000000', '/team']) {
  test(`${path} is the field page, with the sign-in form drawn before the app`, async () => {
    const { status, text, headers } = await api(path);
    assert.equal(status, 200);
    assert.match(text, FIELD);
    assert.doesNotMatch(text, DESK, 'the field page does not load the desk');
    assert.match(text, /<form class="login-form" id="boot-login-form"/);
    assert.match(headers.get('content-security-policy') ?? '', /script-src 'self' 'wasm-unsafe-eval' 'sha256-/);
  });
}

for (const path of ['/desk', '/desk/team', '/desk/notifications', '/desk/team?x=%3Cscript%3E', '/desk/no-such-screen']) {
  test(`${path} is the desk page, with its security headers`, async () => {
    const { status, text, headers } = await api(path);
    assert.equal(status, 200);
    assert.match(text, DESK);
    assert.doesNotMatch(text, /<script>alert|<script%3E/);
    assert.doesNotMatch(text, /boot-login-form/, 'no sign-in form: the desk needs someone signed in');
    assert.match(headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(headers.get('x-content-type-options'), 'nosniff');
  });
}

test('only GET reaches the desk page: a POST to a desk address is not answered with it', async () => {
  const { status, text } = await api('/desk/team', { method: 'POST', body: 'x' });
  assert.doesNotMatch(text, DESK);
  assert.notEqual(status, 500);
});

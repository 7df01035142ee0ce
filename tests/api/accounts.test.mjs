// Sessions and roles: which tokens open the team API and which do not. Every refused token gets
// the same 401 unauthorized; a signed-in user without the needed role gets 403 forbidden.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  DEMO_PASSWORD,
  DEMO_SALES,
  HAN,
  USER_KEYS,
  adminToken,
  api,
  assertApiError,
  bearer,
  createUser,
  d1,
  login,
  sha256Hex,
  signIn,
} from '../support/api.mjs';

let admin;

before(async () => {
  admin = await adminToken();
});

const me = (headers) => api('/api/auth/me', { headers });
const meWith = (token) => me(bearer(token));

/// The token is refused the way every bad token is: 401 unauthorized, JSON, with a Bearer challenge.
function assertUnauthorized(response) {
  const error = assertApiError(response, 401, 'unauthorized');
  assert.match(error.message, HAN);
  assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer\b/);
}

test('signing in returns a token once, and the token opens GET /api/auth/me for that user', async () => {
  const response = await login(DEMO_SALES.login, DEMO_PASSWORD);
  assert.equal(response.status, 200, response.text);
  assert.deepEqual(Object.keys(response.json).sort(), ['expires_at', 'token', 'user']);
  const { token, expires_at: expiresAt, user } = response.json;
  assert.match(token, /^[A-Za-z0-9_-]{43}$/, '32 random bytes in base64url');
  const days = (Date.parse(expiresAt) - Date.now()) / 86_400_000;
  assert.ok(days > 29.9 && days <= 30, `sessions last 30 days, got ${days}`);
  assert.deepEqual(Object.keys(user).sort(), USER_KEYS);
  assert.equal(user.id, DEMO_SALES.id);
  assert.deepEqual(user.roles, ['sales']);

  const answer = await meWith(token);
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(answer.json, { user });
});

test('the Bearer scheme name is accepted in any letter case', async () => {
  const { token } = await signIn(DEMO_SALES.login, DEMO_PASSWORD);
  assert.equal((await me({ authorization: `bearer ${token}` })).status, 200);
  assert.equal((await me({ authorization: `BEARER ${token}` })).status, 200);
});

test('a request without a token is refused with 401 unauthorized', async () => {
  assertUnauthorized(await me({}));
  assertUnauthorized(await api('/api/admin/users'));
  assertUnauthorized(await api('/api/auth/logout', { method: 'POST' }));
});

test('a malformed Authorization header is refused with 401 unauthorized', async () => {
  const { token } = await signIn(DEMO_SALES.login, DEMO_PASSWORD);
  for (const value of [
    'Bearer',
    'Bearer ',
    token, // no scheme
    `Basic ${Buffer.from(`${DEMO_SALES.login}:${DEMO_PASSWORD}`).toString('base64')}`,
    `Token ${token}`,
    `Bearer ${token}x`,
    `Bearer ${token.slice(0, -1)}`,
    `Bearer ${token.slice(0, -1)}=`,
    `Bearer ${token.slice(0, -1)}+`,
    `Bearer ${token} ${token}`,
    `Bearer ${'A'.repeat(5000)}`,
    "Bearer ' OR 1=1 --",
  ]) {
    assertUnauthorized(await me({ authorization: value }));
  }
});

test('a forged token of the right shape is refused with 401 unauthorized', async () => {
  const forged = randomBytes(32).toString('base64url');
  assert.equal(forged.length, 43);
  assertUnauthorized(await meWith(forged));
  assertUnauthorized(await api('/api/admin/users', { headers: bearer(forged) }));
});

test('the database keeps only the SHA-256 of a token, never the token', async () => {
  const { token } = await signIn(DEMO_SALES.login, DEMO_PASSWORD);
  const rows = await d1(`SELECT token_hash FROM sessions WHERE token_hash = '${sha256Hex(token)}'`);
  assert.equal(rows.length, 1, 'the session is stored under the hash of its token');
  const leaked = await d1(`SELECT COUNT(*) AS n FROM sessions WHERE token_hash = '${token}'`);
  assert.equal(leaked[0].n, 0);
});

test('an expired session is refused with 401 unauthorized', async () => {
  const { token } = await signIn(DEMO_SALES.login, DEMO_PASSWORD);
  assert.equal((await meWith(token)).status, 200);
  const hash = sha256Hex(token);
  // Move this one session's expiry into the past instead of waiting 30 days.
  await d1(`UPDATE sessions SET expires_at = '${new Date(Date.now() - 1000).toISOString()}' WHERE token_hash = '${hash}'`);
  const [row] = await d1(`SELECT expires_at FROM sessions WHERE token_hash = '${hash}'`);
  assert.ok(Date.parse(row.expires_at) < Date.now(), 'the session now lies in the past');
  assertUnauthorized(await meWith(token));
});

test('logging out revokes that session, and only that one', async () => {
  const first = await signIn(DEMO_SALES.login, DEMO_PASSWORD);
  const second = await signIn(DEMO_SALES.login, DEMO_PASSWORD);
  const response = await api('/api/auth/logout', { method: 'POST', headers: bearer(first.token) });
  assert.equal(response.status, 200, response.text);
  assert.deepEqual(response.json, { logged_out: true });
  assertUnauthorized(await meWith(first.token));
  assertUnauthorized(await api('/api/auth/logout', { method: 'POST', headers: bearer(first.token) }));
  assert.equal((await meWith(second.token)).status, 200, 'the other device stays signed in');
});

test('a sales user calling the admin API gets 403 forbidden', async () => {
  const { token } = await signIn(DEMO_SALES.login, DEMO_PASSWORD);
  const headers = bearer(token);
  const error = assertApiError(await api('/api/admin/users', { headers }), 403, 'forbidden');
  assert.match(error.message, HAN);
  assertApiError(
    await api('/api/admin/users', { headers, json: { name: '越权', login: '13900001111', password: 'password-1', roles: ['admin'] } }),
    403,
    'forbidden',
  );
  assertApiError(
    await api(`/api/admin/users/${DEMO_SALES.id}`, { method: 'PATCH', headers, json: { roles: ['admin'] } }),
    403,
    'forbidden',
  );
  assertApiError(
    await api(`/api/admin/users/${DEMO_SALES.id}/password`, { headers, json: { password: 'new-password-1' } }),
    403,
    'forbidden',
  );
  const [row] = await d1(`SELECT roles FROM users WHERE id = '${DEMO_SALES.id}'`);
  assert.deepEqual(JSON.parse(row.roles), ['sales'], 'the refused change was not made');
});

test('a role given or taken by an admin applies at once to a session that already exists', async () => {
  const member = await createUser(admin, { roles: ['finance'] });
  const { token } = await signIn(member.login, member.password);
  assertApiError(await api('/api/admin/users', { headers: bearer(token) }), 403, 'forbidden');

  const promote = await api(`/api/admin/users/${member.id}`, { method: 'PATCH', headers: bearer(admin), json: { roles: ['finance', 'admin'] } });
  assert.equal(promote.status, 200, promote.text);
  assert.equal((await api('/api/admin/users', { headers: bearer(token) })).status, 200);

  const demote = await api(`/api/admin/users/${member.id}`, { method: 'PATCH', headers: bearer(admin), json: { roles: ['finance'] } });
  assert.equal(demote.status, 200, demote.text);
  assertApiError(await api('/api/admin/users', { headers: bearer(token) }), 403, 'forbidden');
});

test('a disabled user cannot use an old token, and cannot sign in again until re-enabled', async () => {
  const member = await createUser(admin);
  const old = await signIn(member.login, member.password);
  assert.equal((await meWith(old.token)).status, 200);

  const disable = await api(`/api/admin/users/${member.id}`, { method: 'PATCH', headers: bearer(admin), json: { active: false } });
  assert.equal(disable.status, 200, disable.text);
  assert.equal(disable.json.user.active, false);
  // Told apart from an expired session, so the phone removes the team's data (issue 19 item 11).
  const told = assertApiError(await meWith(old.token), 403, 'account_disabled');
  assert.match(told.message, HAN);
  const [revoked] = await d1(`SELECT revoked_at FROM sessions WHERE token_hash = '${sha256Hex(old.token)}'`);
  assert.ok(revoked.revoked_at, 'disabling revoked the session in the database');

  const error = assertApiError(await login(member.login, member.password), 403, 'account_disabled');
  assert.match(error.message, HAN);
  // Without the right password nothing reveals that the account is disabled.
  assertApiError(await login(member.login, 'not-the-password'), 401, 'invalid_credentials');

  const enable = await api(`/api/admin/users/${member.id}`, { method: 'PATCH', headers: bearer(admin), json: { active: true } });
  assert.equal(enable.status, 200, enable.text);
  assertUnauthorized(await meWith(old.token));
  const fresh = await signIn(member.login, member.password);
  assert.equal((await meWith(fresh.token)).status, 200);
});

test('an admin password reset revokes every old session; the new password works and the old one does not', async () => {
  const member = await createUser(admin);
  const phone = await signIn(member.login, member.password);
  const laptop = await signIn(member.login, member.password);

  const reset = await api(`/api/admin/users/${member.id}/password`, { headers: bearer(admin), json: { password: 'a-brand-new-password' } });
  assert.equal(reset.status, 200, reset.text);
  assert.deepEqual(Object.keys(reset.json.user).sort(), USER_KEYS);

  assertUnauthorized(await meWith(phone.token));
  assertUnauthorized(await meWith(laptop.token));
  assertApiError(await login(member.login, member.password), 401, 'invalid_credentials');
  const fresh = await signIn(member.login, 'a-brand-new-password');
  assert.equal((await meWith(fresh.token)).status, 200);
});

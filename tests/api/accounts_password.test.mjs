// Passwords chosen by an admin are replaced by their owner: a member's first sign-in after an
// admin created the account or reset its password says `must_change_password`, and everyone
// can change their own password with the current one (POST /api/auth/password). Demo accounts
// and the first admin are never asked.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO_PASSWORD, DEMO_SALES, HAN, adminToken, api, assertApiError, bearer, createUser, freshIp, login, signIn,
} from '../support/api.mjs';

let admin;

before(async () => {
  admin = await adminToken();
});

/// From a fresh address unless `ip` is given (failed attempts count like failed sign-ins).
const change = (token, json, ip = freshIp()) =>
  api('/api/auth/password', { json, headers: { ...bearer(token), 'cf-connecting-ip': ip } });

test('a member created by an admin must change the password at first sign-in; demo accounts are not asked', async () => {
  const member = await createUser(admin);
  const first = await signIn(member.login, member.password);
  assert.equal(first.must_change_password, true);
  const demo = await login(DEMO_SALES.login, DEMO_PASSWORD);
  assert.equal(demo.status, 200);
  assert.equal('must_change_password' in demo.json, false, 'absent when false: the answer keeps its shape');
});

test('changing one\'s own password needs the current one, ends every session and answers a new one', async () => {
  const member = await createUser(admin);
  const { token } = await signIn(member.login, member.password);
  const other = await signIn(member.login, member.password);

  const wrong = assertApiError(await change(token, { current_password: 'not-it-at-all', new_password: 'my-own-password-1' }), 403, 'wrong_current_password');
  assert.match(wrong.message, HAN);
  const short = assertApiError(await change(token, { current_password: member.password, new_password: 'short' }), 422, 'invalid');
  assert.equal(short.field, 'new_password');
  const same = assertApiError(await change(token, { current_password: member.password, new_password: member.password }), 422, 'invalid');
  assert.equal(same.field, 'new_password');
  assertApiError(await change('not-a-session', { current_password: member.password, new_password: 'my-own-password-1' }), 401, 'unauthorized');

  const changed = await change(token, { current_password: member.password, new_password: 'my-own-password-1' });
  assert.equal(changed.status, 200, changed.text);
  assert.deepEqual(Object.keys(changed.json).sort(), ['expires_at', 'token', 'user']);
  assert.equal(changed.json.user.id, member.id);
  // Every earlier session ends; the new one works.
  for (const old of [token, other.token]) assertApiError(await api('/api/auth/me', { headers: bearer(old) }), 401, 'unauthorized');
  assert.equal((await api('/api/auth/me', { headers: bearer(changed.json.token) })).status, 200);
  // The admin's password is gone; the member's own signs in without being asked again.
  assertApiError(await login(member.login, member.password), 401, 'invalid_credentials');
  const again = await signIn(member.login, 'my-own-password-1');
  assert.equal(again.must_change_password, undefined);
});

test('an admin\'s reset asks for a new password again at the next sign-in', async () => {
  const member = await createUser(admin);
  const { token } = await signIn(member.login, member.password);
  assert.equal((await change(token, { current_password: member.password, new_password: 'chosen-by-me-1' })).status, 200);
  const reset = await api(`/api/admin/users/${member.id}/password`, { headers: bearer(admin), json: { password: 'chosen-by-admin-1' } });
  assert.equal(reset.status, 200, reset.text);
  assert.equal((await signIn(member.login, 'chosen-by-admin-1')).must_change_password, true);
});

test('guessing the current password through a stolen session is counted like sign-ins', async () => {
  const member = await createUser(admin);
  const { token } = await signIn(member.login, member.password);
  const ip = freshIp();
  const statuses = [];
  for (let guess = 0; guess < 6; guess += 1) {
    statuses.push((await change(token, { current_password: `guess-${guess}-password`, new_password: 'stolen-account-1' }, ip)).status);
  }
  assert.deepEqual(statuses, [403, 403, 403, 403, 403, 429]);
});

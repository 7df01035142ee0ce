// Signing in against hostile input and password guessing: the same answer for a wrong password
// and an unknown account, hostile strings stay strings, stored passwords are salted PBKDF2
// hashes, and guessing is locked out per account and address (5), per address (20) and, gently,
// per account from anywhere (50 failures: 5 minutes), so a stranger cannot keep the owner out.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import {
  DEMO_PASSWORD,
  DEMO_SALES,
  HAN,
  adminToken,
  api,
  assertApiError,
  bearer,
  createUser,
  d1,
  freshIp,
  login,
  signIn,
  uniqueLogin,
} from '../support/api.mjs';

const LOCK_SECONDS = 15 * 60;

let admin;

before(async () => {
  admin = await adminToken();
});

async function userLogins() {
  const response = await api('/api/admin/users', { headers: bearer(admin) });
  assert.equal(response.status, 200, response.text);
  return response.json.users.map((user) => user.login);
}

/// The answer to a refused sign-in, minus what legitimately differs between two answers.
function comparable(response) {
  const headers = [...response.headers].filter(([name]) => !['date', 'retry-after'].includes(name));
  return { status: response.status, text: response.text, headers };
}

function assertLocked(response) {
  const error = assertApiError(response, 429, 'too_many_attempts');
  assert.match(error.message, HAN);
  const retryAfter = Number(response.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= LOCK_SECONDS, `Retry-After: ${response.headers.get('retry-after')}`);
  return retryAfter;
}

test('a wrong password and an unknown account get the identical 401 answer', async () => {
  const member = await createUser(admin);
  const wrongPassword = await login(member.login, 'not-the-password');
  const unknownEmail = await login(uniqueLogin('nobody'), 'not-the-password');
  const unknownPhone = await login('19999999999', member.password);
  const error = assertApiError(wrongPassword, 401, 'invalid_credentials');
  assert.equal(error.message, '账号或密码错误');
  assert.deepEqual(comparable(unknownEmail), comparable(wrongPassword));
  assert.deepEqual(comparable(unknownPhone), comparable(wrongPassword));
});

test('a phone login works however the digits are spaced or dashed', async () => {
  for (const typed of ['138 5712 3456', '138-5712-3456', ' 13857123456 ']) {
    const { user } = await signIn(typed, DEMO_PASSWORD);
    assert.equal(user.id, DEMO_SALES.id, typed);
  }
});

test('an email login works in any letter case', async () => {
  const member = await createUser(admin, { login: uniqueLogin('Mixed.Case') });
  const { user } = await signIn(member.login.toUpperCase(), member.password);
  assert.equal(user.id, member.id);
});

test('SQL injection strings in the sign-in fields are just wrong credentials and change nothing', async () => {
  const before = await userLogins();
  for (const [loginText, password] of [
    ["' OR 1=1 --", 'x'],
    [`${DEMO_SALES.login}' --`, 'x'],
    ["admin'/*", "*/ OR '1'='1"],
    ["x'; DROP TABLE users; --", "'; DELETE FROM sessions; --"],
    [DEMO_SALES.login, "' OR '1'='1"],
  ]) {
    assertApiError(await login(loginText, password), 401, 'invalid_credentials');
  }
  assert.deepEqual(await userLogins(), before, 'no account appeared or vanished');
  await signIn(DEMO_SALES.login, DEMO_PASSWORD);
});

test('an admin creating an account with an SQL injection name stores it as plain text', async () => {
  const name = "Robert'); DROP TABLE users;--";
  const member = await createUser(admin, { name });
  assert.equal(member.name, name);
  const [row] = await d1(`SELECT name FROM users WHERE id = '${member.id}'`);
  assert.equal(row.name, name);
  assertApiError(
    await api('/api/admin/users', { headers: bearer(admin), json: { name: 'x', login: "' OR 1=1 --", password: 'password-1', roles: ['sales'] } }),
    422,
    'invalid',
  );
});

test('very long sign-in values are refused as invalid before any work, and nothing is stored', async () => {
  const before = await userLogins();
  const longLogin = `${'a'.repeat(250)}@example.com`; // 262 characters
  const cases = [
    [longLogin, 'whatever-password', 'login'],
    ['x'.repeat(100_000), 'whatever-password', 'login'],
    [DEMO_SALES.login, 'p'.repeat(129), 'password'],
    [DEMO_SALES.login, '密'.repeat(10_000), 'password'],
    ['', 'whatever-password', 'login'],
    [DEMO_SALES.login, '', 'password'],
  ];
  for (const [loginText, password, field] of cases) {
    const error = assertApiError(await login(loginText, password), 422, 'invalid');
    assert.equal(error.field, field);
    assert.match(error.message, HAN);
  }
  // 254 characters is still a possible login: it gets the ordinary answer.
  assertApiError(await login(`${'b'.repeat(242)}@example.com`, 'whatever-password'), 401, 'invalid_credentials');

  assert.deepEqual(await userLogins(), before, 'no account appeared');
  const counted = await d1("SELECT COUNT(*) AS n FROM login_throttle WHERE key LIKE 'account:aaaaaaaaaa%' OR key LIKE 'account:xxxxxxxxxx%'");
  assert.equal(counted[0].n, 0, 'refused input is not even counted as an attempt');
  const [sales] = await d1(`SELECT COUNT(*) AS n FROM login_throttle WHERE key = 'account:${DEMO_SALES.login}'`);
  assert.equal(sales.n, 0);
});

test('a sign-in body with unknown or missing fields is refused with 400', async () => {
  assertApiError(await api('/api/auth/login', { json: { login: DEMO_SALES.login } }), 400, 'malformed_json');
  assertApiError(
    await api('/api/auth/login', { json: { login: DEMO_SALES.login, password: DEMO_PASSWORD, remember: true } }),
    400,
    'malformed_json',
  );
  assertApiError(await api('/api/auth/login', { json: { login: 13857123456, password: DEMO_PASSWORD } }), 400, 'malformed_json');
});

test('the stored password is a salted PBKDF2-SHA-256 hash, never the password', async () => {
  const password = 'same-password-for-both';
  const first = await createUser(admin, { password });
  const second = await createUser(admin, { password });
  const rows = await d1(
    `SELECT id, password_hash, password_salt, password_iterations FROM users WHERE id IN ('${first.id}', '${second.id}') ORDER BY id`,
  );
  assert.equal(rows.length, 2);
  for (const row of rows) {
    assert.notEqual(row.password_hash, password);
    assert.ok(!row.password_hash.includes(password) && !row.password_salt.includes(password));
    assert.match(row.password_hash, /^[0-9a-f]{64}$/, '32 bytes of derived key, hex');
    assert.match(row.password_salt, /^[0-9a-f]{32}$/, '16 bytes of salt, hex');
    assert.ok(row.password_iterations >= 100_000, `iterations: ${row.password_iterations}`);
    // Recomputing the hash proves what it is: PBKDF2-HMAC-SHA-256 over this salt.
    const expected = pbkdf2Sync(password, Buffer.from(row.password_salt, 'hex'), row.password_iterations, 32, 'sha256');
    assert.equal(row.password_hash, expected.toString('hex'));
  }
  assert.notEqual(rows[0].password_salt, rows[1].password_salt, 'every hash has its own salt');
  assert.notEqual(rows[0].password_hash, rows[1].password_hash);
});

test('20 wrong passwords from one address lock the account there after 5, with 429 and Retry-After, even for the right password', async () => {
  const member = await createUser(admin);
  const ip = freshIp();
  const statuses = [];
  for (let attempt = 1; attempt <= 20; attempt += 1) {
    const response = await login(member.login, `wrong-${attempt}`, { ip });
    statuses.push(response.status);
    if (attempt <= 5) assertApiError(response, 401, 'invalid_credentials');
    else assertLocked(response);
  }
  assert.deepEqual(statuses, [...Array(5).fill(401), ...Array(15).fill(429)]);
  // Locked means the password is not even looked at.
  assertLocked(await login(member.login, member.password, { ip }));
  assertLocked(await login(member.login.toUpperCase(), member.password, { ip }));
});

test('a stranger guessing from one address does not lock the owner out at another address', async () => {
  const member = await createUser(admin);
  const stranger = freshIp();
  for (let attempt = 1; attempt <= 10; attempt += 1) await login(member.login, `guess-${attempt}`, { ip: stranger });
  assertLocked(await login(member.login, member.password, { ip: stranger }));
  // The owner, elsewhere, signs in at once.
  await signIn(member.login, member.password);
});

test('guesses spread over many addresses meet the gentler global back-off after 50: 5 minutes for everyone', async () => {
  const member = await createUser(admin);
  const statuses = [];
  // 13 addresses, 4 guesses each: never 5 from one address, 52 in all.
  for (let address = 0; address < 13; address += 1) {
    const ip = freshIp();
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      statuses.push((await login(member.login, `spread-${address}-${attempt}`, { ip })).status);
    }
  }
  assert.deepEqual(statuses, [...Array(50).fill(401), 429, 429]);
  const owner = await login(member.login, member.password);
  const retryAfter = assertLocked(owner);
  assert.ok(retryAfter <= 5 * 60, `the global back-off is 5 minutes at most, not ${retryAfter} s`);
});

test('a burst of 20 simultaneous guesses from one address gets no more than 5 past the limit', async () => {
  const member = await createUser(admin);
  const ip = freshIp();
  const responses = await Promise.all(
    Array.from({ length: 20 }, (_, attempt) => login(member.login, `burst-${attempt}`, { ip })),
  );
  const statuses = responses.map((response) => response.status).sort();
  assert.deepEqual(statuses, [...Array(5).fill(401), ...Array(15).fill(429)]);
});

test('a non-existent account is locked the same way as a real one', async () => {
  const ghost = uniqueLogin('ghost');
  const member = await createUser(admin);
  const [ghostIp, memberIp] = [freshIp(), freshIp()];
  for (let attempt = 1; attempt <= 8; attempt += 1) {
    const unknown = await login(ghost, `wrong-${attempt}`, { ip: ghostIp });
    const real = await login(member.login, `wrong-${attempt}`, { ip: memberIp });
    assert.equal(unknown.status, real.status, `attempt ${attempt}`);
    assert.deepEqual(comparable(unknown), comparable(real), `attempt ${attempt}`);
    if (attempt <= 5) assertApiError(unknown, 401, 'invalid_credentials');
    else assertLocked(unknown);
  }
});

test('a successful sign-in clears the account\'s failures', async () => {
  const member = await createUser(admin);
  const ip = freshIp();
  for (let attempt = 1; attempt <= 4; attempt += 1) {
    assertApiError(await login(member.login, 'wrong', { ip }), 401, 'invalid_credentials');
  }
  assert.equal((await login(member.login, member.password, { ip })).status, 200);
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    assertApiError(await login(member.login, 'wrong', { ip }), 401, 'invalid_credentials');
  }
  assertLocked(await login(member.login, 'wrong', { ip }));
});

test('an admin password reset lifts the lock of the account', async () => {
  const member = await createUser(admin);
  const ip = freshIp();
  for (let attempt = 1; attempt <= 5; attempt += 1) await login(member.login, 'wrong', { ip });
  assertLocked(await login(member.login, member.password, { ip }));
  const reset = await api(`/api/admin/users/${member.id}/password`, { headers: bearer(admin), json: { password: 'unlocked-password' } });
  assert.equal(reset.status, 200, reset.text);
  assert.equal((await login(member.login, 'unlocked-password', { ip })).status, 200);
});

test('one client address is locked after 20 failures across different accounts; other addresses are not', async () => {
  const ip = freshIp();
  for (let attempt = 1; attempt <= 20; attempt += 1) {
    assertApiError(await login(uniqueLogin('spray'), 'wrong-password', { ip }), 401, 'invalid_credentials');
  }
  // Locked for every account from that address, right password or not ...
  assertLocked(await login(uniqueLogin('spray'), 'wrong-password', { ip }));
  assertLocked(await login(DEMO_SALES.login, DEMO_PASSWORD, { ip }));
  // ... while the same account from elsewhere is unaffected.
  await signIn(DEMO_SALES.login, DEMO_PASSWORD);
});

test('successful sign-ins from one address do not count towards its limit', async () => {
  const ip = freshIp();
  for (let attempt = 1; attempt <= 25; attempt += 1) {
    const response = await login(DEMO_SALES.login, DEMO_PASSWORD, { ip });
    assert.equal(response.status, 200, `sign-in ${attempt}: ${response.text}`);
  }
});

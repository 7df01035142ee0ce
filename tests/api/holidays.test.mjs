// The holiday calendar as data (issue 13): `GET /api/holidays` for every member, `PUT
// /api/admin/holidays/{year}` for admins only (403 otherwise), bad input refused with a 422
// naming its field and nothing changed, and pulls carrying the calendar to a device holding an
// older version (and not again once it holds the newest). On a private worker: an edit changes
// deadlines for every later test of that database.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DEMO_ADMIN, DEMO_PASSWORD, DEMO_SALES, HAN, assertApiError, bearer, devHeaders, startPrivateWorker } from '../support/api.mjs';

let worker;
let admin;
let sales;

const signIn = async (login) => {
  const response = await worker.call('/api/auth/login', { json: { login, password: DEMO_PASSWORD } });
  assert.equal(response.status, 200, response.text);
  return response.json.token;
};

before(async () => {
  worker = await startPrivateWorker({ vars: { DEMO_DATA: 'enabled' } });
  const demo = await worker.call('/api/dev/demo-data', { method: 'POST', headers: devHeaders() });
  assert.equal(demo.status, 200, demo.text);
  admin = await signIn(DEMO_ADMIN.login);
  sales = await signIn(DEMO_SALES.login);
});

after(async () => {
  await worker?.stop();
});

const as = (token, path, options = {}) => worker.call(path, { ...options, headers: bearer(token) });

async function calendar() {
  const response = await as(sales, '/api/holidays');
  assert.equal(response.status, 200, response.text);
  return response.json;
}

const year = (cal, number) => cal.years.find((entry) => entry.year === number);

/// A pull's answer for a device holding calendar version `after`.
async function pullHolding(after) {
  const response = await as(sales, `/api/sync/pull?device_id=${randomUUID()}&cursor=0&limit=1&calendar_after=${after}`);
  assert.equal(response.status, 200, response.text.slice(0, 300));
  return response.json;
}

test('every member reads the shipped years: 2026 as announced, 2027 provisional', async () => {
  const cal = await calendar();
  assert.ok(cal.version >= 1, 'the seeded calendar has a version phones can compare');
  const y2026 = year(cal, 2026);
  assert.equal(y2026.provisional, false);
  assert.equal(y2026.holidays.length, 33);
  assert.deepEqual(y2026.workdays, ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
  assert.equal(y2026.updated_by, undefined, 'nobody changed the shipped year');
  const y2027 = year(cal, 2027);
  assert.equal(y2027.provisional, true);
  assert.ok(y2027.holidays.includes('2027-02-06'), '春节 2027');
  assert.deepEqual(y2027.workdays, []);
  const anonymous = await worker.call('/api/holidays');
  assert.equal(anonymous.status, 401);
});

test('a pull carries the calendar to a device holding an older one, and only then', async () => {
  const { version } = await calendar();
  const fresh = await pullHolding(0);
  assert.equal(fresh.calendar.version, version);
  assert.deepEqual(fresh.calendar, await calendar());
  const upToDate = await pullHolding(version);
  assert.equal('calendar' in upToDate, false, 'no calendar for a device that holds this version');
  const bad = await as(sales, `/api/sync/pull?device_id=${randomUUID()}&calendar_after=-1`);
  assertApiError(bad, 400, 'bad_query');
});

test('only admins edit: a salesperson gets 403 and nothing changes', async () => {
  const before = await calendar();
  const response = await as(sales, '/api/admin/holidays/2027', { method: 'PUT', json: { holidays: ['2027-01-01'], workdays: [] } });
  assertApiError(response, 403, 'forbidden');
  assert.deepEqual(await calendar(), before);
});

test('bad input is a 422 naming its field, and nothing is saved', async () => {
  const before = await calendar();
  const put = (path, json) => as(admin, path, { method: 'PUT', json });
  const cases = [
    ['a date outside the year', '/api/admin/holidays/2027', { holidays: ['2028-01-03'], workdays: [] }, 'holidays'],
    ['a day both off and worked', '/api/admin/holidays/2027', { holidays: ['2027-01-30'], workdays: ['2027-01-30'] }, 'workdays'],
    ['a make-up day on a weekday', '/api/admin/holidays/2027', { holidays: [], workdays: ['2027-01-27'] }, 'workdays'],
    ['not a date', '/api/admin/holidays/2027', { holidays: ['2027-02-30'], workdays: [] }, 'holidays'],
    ['more than 60 holidays', '/api/admin/holidays/2027', {
      holidays: Array.from({ length: 61 }, (_, i) => new Date(Date.UTC(2027, 2, 1 + i)).toISOString().slice(0, 10)),
      workdays: [],
    }, 'holidays'],
    ['a year far away', '/api/admin/holidays/2099', { holidays: ['2099-01-01'], workdays: [] }, 'year'],
    ['a year that is not a number', '/api/admin/holidays/next', { holidays: [], workdays: [] }, 'year'],
  ];
  for (const [what, path, body, field] of cases) {
    const error = assertApiError(await put(path, body), 422, 'invalid');
    assert.equal(error.field, field, what);
    assert.match(error.message, HAN, `${what}: a Chinese message`);
  }
  const notJson = await worker.call('/api/admin/holidays/2027', { method: 'PUT', body: 'holidays', headers: { ...bearer(admin), 'content-type': 'application/json' } });
  assert.equal(notJson.status, 400, notJson.text);
  assert.deepEqual(await calendar(), before);
});

test('an admin enters 2027: saved with who and when, a new version, and pulls carry it', async () => {
  const before = await calendar();
  const holidays = [...year(before, 2027).holidays, '2027-02-09', '2027-02-10', '2027-02-11'];
  const response = await as(admin, '/api/admin/holidays/2027', {
    method: 'PUT',
    json: { holidays, workdays: ['2027-02-20'], provisional: false },
  });
  assert.equal(response.status, 200, response.text);
  const saved = response.json;
  assert.ok(saved.version > before.version);
  const y2027 = year(saved, 2027);
  assert.equal(y2027.provisional, false);
  assert.deepEqual(y2027.workdays, ['2027-02-20']);
  assert.ok(y2027.holidays.includes('2027-02-11'));
  assert.equal(typeof y2027.updated_by, 'string');
  assert.match(y2027.updated_by, HAN);
  assert.ok(Math.abs(Date.parse(y2027.updated_at) - Date.now()) < 120_000);
  assert.deepEqual(year(saved, 2026), year(before, 2026), 'other years untouched');
  assert.deepEqual(await calendar(), saved, 'everyone reads the same');
  // A device that held the old version receives the new one with its next pull.
  assert.deepEqual((await pullHolding(before.version)).calendar, saved);
  assert.equal('calendar' in (await pullHolding(saved.version)), false);
  // A year nobody had entered yet (next-but-one) can be added.
  const next = new Date().getUTCFullYear() + 2;
  const added = await as(admin, `/api/admin/holidays/${next}`, { method: 'PUT', json: { holidays: [`${next}-01-01`], workdays: [] } });
  assert.equal(added.status, 200, added.text);
  assert.deepEqual(year(added.json, next).holidays, [`${next}-01-01`]);
});

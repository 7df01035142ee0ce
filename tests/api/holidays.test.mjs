// The holiday calendar as data (issue 13): `GET /api/holidays` for every member, `PUT
// /api/admin/holidays/{year}` for admins only (403 otherwise), bad input refused with a 422
// naming its field and nothing changed, and pulls carrying the calendar to a device holding an
// older version (and not again once it holds the newest), and a deadline the worker counts (the
// overdue digest) moving when an admin saves a year. On a private worker: an edit changes
// deadlines for every later test of that database.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  DEMO_ADMIN,
  DEMO_SALES,
  HAN,
  assertApiError,
  bearer,
  createOrderMutation,
  d1,
  devHeaders,
  startDemoWorker,
} from '../support/api.mjs';

let worker;
let admin;
let sales;

before(async () => {
  // NOTIFY_ALLOW_LOCAL_HTTP: the digest test's channels point at this machine.
  worker = await startDemoWorker({ vars: { NOTIFY_ALLOW_LOCAL_HTTP: 'enabled' } });
  admin = await worker.signIn(DEMO_ADMIN.login);
  sales = await worker.signIn(DEMO_SALES.login);
});

after(async () => {
  await worker?.stop();
});

async function calendar() {
  const response = await worker.as(sales, '/api/holidays');
  assert.equal(response.status, 200, response.text);
  return response.json;
}

const year = (cal, number) => cal.years.find((entry) => entry.year === number);

/// A pull's answer for a device holding calendar version `after`.
async function pullHolding(after) {
  const response = await worker.as(sales, `/api/sync/pull?device_id=${randomUUID()}&cursor=0&limit=1&calendar_after=${after}`);
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
  const bad = await worker.as(sales, `/api/sync/pull?device_id=${randomUUID()}&calendar_after=-1`);
  assertApiError(bad, 400, 'bad_query');
});

test('only admins edit: a salesperson gets 403 and nothing changes', async () => {
  const before = await calendar();
  const response = await worker.as(sales, '/api/admin/holidays/2027', { method: 'PUT', json: { holidays: ['2027-01-01'], workdays: [] } });
  assertApiError(response, 403, 'forbidden');
  assert.deepEqual(await calendar(), before);
});

test('bad input is a 422 naming its field, and nothing is saved', async () => {
  const before = await calendar();
  const put = (path, json) => worker.as(admin, path, { method: 'PUT', json });
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
    // Not four digits although a lenient number parse reads 2027 or -1 (an attacker's finding).
    ['a year with a leading zero', '/api/admin/holidays/02027', { holidays: ['2027-01-01'], workdays: [] }, 'year'],
    ['a year with a plus sign', '/api/admin/holidays/+2027', { holidays: ['2027-01-01'], workdays: [] }, 'year'],
    ['a negative year', '/api/admin/holidays/-1', { holidays: [], workdays: [] }, 'year'],
  ];
  for (const [what, path, body, field] of cases) {
    const error = assertApiError(await put(path, body), 422, 'invalid');
    assert.equal(error.field, field, what);
    assert.match(error.message, HAN, `${what}: a Chinese message`);
    if (field === 'year') {
      // Says what docs/api.md says: four digits, last year to two years ahead (China's year).
      const thisYear = new Date(Date.now() + 8 * 3600_000).getUTCFullYear();
      assert.match(error.message, new RegExp(`四位数字.*${thisYear - 1} 到 ${thisYear + 2}|${thisYear - 1} 到 ${thisYear + 2}.*四位数字`), what);
    }
  }
  // One day sent 61 times is one day sent twice, not 61 days.
  const repeated = assertApiError(await put('/api/admin/holidays/2027', { holidays: Array(61).fill('2027-10-01'), workdays: [] }), 422, 'invalid');
  assert.equal(repeated.field, 'holidays');
  assert.match(repeated.message, /2027-10-01 写了两次/);
  // A misspelt field is refused naming it, not ignored (the year would be saved as announced).
  const misspelt = assertApiError(await put('/api/admin/holidays/2027', { holidays: ['2027-01-01'], workdays: [], provisonal: true }), 400, 'malformed_json');
  assert.match(misspelt.message, /provisonal/);
  const notJson = await worker.call('/api/admin/holidays/2027', { method: 'PUT', body: 'holidays', headers: { ...bearer(admin), 'content-type': 'application/json' } });
  assert.equal(notJson.status, 400, notJson.text);
  assert.deepEqual(await calendar(), before);
});

test('an admin enters 2027: saved with who and when, a new version, and pulls carry it', async () => {
  const before = await calendar();
  const holidays = [...year(before, 2027).holidays, '2027-02-09', '2027-02-10', '2027-02-11'];
  const response = await worker.as(admin, '/api/admin/holidays/2027', {
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
  const added = await worker.as(admin, `/api/admin/holidays/${next}`, { method: 'PUT', json: { holidays: [`${next}-01-01`], workdays: [] } });
  assert.equal(added.status, 200, added.text);
  assert.deepEqual(year(added.json, next).holidays, [`${next}-01-01`]);
});

// ---- a worker-side deadline follows the saved calendar -----------------------------------------

const DAY = 86_400_000;

/// The business date (China time, UTC+8) of `ms`, as YYYY-MM-DD.
const businessDate = (ms) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);

/// Every order entry of the digest rows written for `channelId`, by order id.
async function digestEntries(channelId) {
  const rows = await d1(`SELECT payload FROM notify_outbox WHERE kind = 'digest' AND channel_id = '${channelId}'`, worker.persistDir);
  const entries = new Map();
  const walk = (value) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      if (typeof value.order_id === 'string' && 'due_date' in value) entries.set(value.order_id, value);
      Object.values(value).forEach(walk);
    }
  };
  for (const row of rows) walk(JSON.parse(row.payload));
  return { rows: rows.length, entries };
}

async function digestChannel(name) {
  // Nothing listens there: the digest is written to the outbox, which is what is read here.
  const response = await worker.as(admin, '/api/admin/notify/channels', { json: { kind: 'webhook', name, url: 'http://127.0.0.1:9/digest' } });
  assert.equal(response.status, 201, response.text);
  return response.json.channel.id;
}

async function cronAt(ms) {
  const response = await worker.call(`/api/dev/notify/cron?time=${ms}`, { method: 'POST', headers: devHeaders() });
  assert.equal(response.status, 200, response.text);
}

test('the overdue digest counts on the saved calendar: days made holidays take an order off it', async () => {
  // A calendar-day order on version 1 (the control), then 需求确认 counting 3 working days.
  const calendarDays = randomUUID();
  const workingDays = randomUUID();
  const push = async (id, company) => {
    const answer = await worker.as(sales, '/api/sync/push', {
      json: { device_id: randomUUID(), mutations: [{ seq: 1, mutation: createOrderMutation(id, { company }), device_time: new Date().toISOString() }] },
    });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json.rejected, []);
  };
  await push(calendarDays, '杭州自然日期限有限公司');
  const overview = (await worker.as(admin, '/api/admin/process')).json;
  const current = overview.versions.at(-1);
  const stages = structuredClone(current.stages);
  stages[0].sla_days = 3;
  stages[0].sla_working_days = true;
  const published = await worker.as(admin, '/api/admin/process/publish', {
    json: { base_version: current.number, stages, archived: current.archived ?? [], note: '需求确认按工作日计' },
  });
  assert.equal(published.status, 201, published.text);
  await push(workingDays, '杭州工作日期限有限公司');

  // Ten days on, 10:00 China time: both are overdue in that morning's digest.
  const run = new Date(Date.now() + 10 * DAY);
  run.setUTCHours(2, 0, 0, 0);
  const today = businessDate(run.getTime());
  const before = await digestChannel('节假日前的摘要');
  await cronAt(run.getTime());
  const first = await digestEntries(before);
  const due = first.entries.get(workingDays)?.due_date ?? assert.fail('the working-day order is overdue');
  assert.ok(due < today);
  assert.ok(first.entries.get(workingDays).days_late > 0);
  assert.ok(first.entries.has(calendarDays));

  // The admin makes every day from that deadline to the digest's day a holiday.
  const off = [];
  for (let day = Date.parse(`${due}T00:00:00Z`); businessDate(day - 8 * 3_600_000) <= today; day += DAY) {
    off.push(new Date(day).toISOString().slice(0, 10));
  }
  const saved = await calendar();
  for (const number of new Set(off.map((day) => Number(day.slice(0, 4))))) {
    const stored = year(saved, number) ?? { holidays: [], workdays: [], provisional: false };
    const mine = off.filter((day) => day.startsWith(`${number}-`));
    const response = await worker.as(admin, `/api/admin/holidays/${number}`, {
      method: 'PUT',
      json: {
        holidays: [...new Set([...stored.holidays, ...mine])].sort(),
        workdays: stored.workdays.filter((day) => !mine.includes(day)),
        provisional: stored.provisional,
      },
    });
    assert.equal(response.status, 200, response.text);
  }

  // The same morning's digest, now: the working-day order's deadline moved past it, the
  // calendar-day order is as late as before.
  const after = await digestChannel('节假日后的摘要');
  await cronAt(run.getTime());
  const second = await digestEntries(after);
  assert.equal(second.entries.has(workingDays), false, 'no longer overdue');
  assert.deepEqual(second.entries.get(calendarDays), first.entries.get(calendarDays));
});

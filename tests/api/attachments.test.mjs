// Photos and files on orders (issue 16): the attachment's record travels as a synced mutation,
// its bytes through PUT /api/orders/:id/files/:sha256 into the worker's local R2 bucket. Every
// bad input of the issue gets a clear 4xx and leaves nothing stored; the same bytes twice are
// stored once; files go out only with a session, or to customers through a team link.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  BASE_URL, DEMO_PASSWORD, DEMO_SALES, DEMO_ADMIN, api, assertApiError, bearer, createOrderMutation, d1,
  ensureDemoData, pullEveryOrder, sha256Hex, signIn,
} from '../support/api.mjs';
import { readToken } from '../support/track.mjs';

const DEMO_WAREHOUSE = { id: 'u-zhangwei', login: '13758114477' };
const DEMO_FINANCE = { id: 'u-chenjing', login: '13606819922' };

let sales;
let warehouse;
let finance;
let admin;

/// Bytes that are a complete JPEG as far as the server judges (start and end markers), each
/// call different.
function jpeg(size = 4000) {
  const body = randomBytes(size);
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0'), body, Buffer.from([0xff, 0xd9])]);
}

const fileRef = (bytes, fileType = 'jpeg') => ({ sha256: sha256Hex(bytes), file_type: fileType, size: bytes.length });

let seq = 0;
const device = randomUUID();
/// Pushes mutations as `token`'s user from one device; returns the push answer.
async function push(token, mutations) {
  const body = {
    device_id: device,
    mutations: mutations.map((mutation) => ({ seq: ++seq, mutation, device_time: new Date().toISOString() })),
  };
  const res = await api('/api/sync/push', { json: body, headers: bearer(token) });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

async function newOrder() {
  const orderId = randomUUID();
  const answer = await pushAsSales([createOrderMutation(orderId, { company: '杭州附件测试有限公司' })]);
  assert.equal(answer.rejected.length, 0, JSON.stringify(answer.rejected));
  return orderId;
}

let salesSeq = 0;
const salesDevice = randomUUID();
async function pushAsSales(mutations) {
  const body = {
    device_id: salesDevice,
    mutations: mutations.map((mutation) => ({ seq: ++salesSeq, mutation, device_time: new Date().toISOString() })),
  };
  const res = await api('/api/sync/push', { json: body, headers: bearer(sales) });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

/// Adds an attachment (as the warehouse) naming `bytes` and `thumb`; returns its id.
async function attach(orderId, bytes, { kind = 'delivery_note', thumb, fileType = 'jpeg' } = {}) {
  const id = randomUUID();
  const attachment = { id, kind, file: fileRef(bytes, fileType) };
  if (thumb) attachment.thumbnail = fileRef(thumb);
  const answer = await push(warehouse, [{ type: 'add_attachment', order_id: orderId, attachment }]);
  assert.equal(answer.rejected.length, 0, JSON.stringify(answer.rejected));
  return id;
}

const upload = (orderId, hash, body, token = warehouse, headers = {}) =>
  api(`/api/orders/${orderId}/files/${hash}`, {
    method: 'PUT',
    body,
    headers: { 'content-type': 'image/jpeg', ...bearer(token), ...headers },
  });

const download = (orderId, attachmentId, token = sales, suffix = '') =>
  fetch(`${BASE_URL}/api/orders/${orderId}/attachments/${attachmentId}${suffix}`, { headers: bearer(token) });

const storedRows = async (orderId) => d1(`SELECT sha256, size, uploaded_by FROM attachment_files WHERE order_id = '${orderId}'`);

before(async () => {
  await ensureDemoData();
  sales = (await signIn(DEMO_SALES.login, DEMO_PASSWORD)).token;
  warehouse = (await signIn(DEMO_WAREHOUSE.login, DEMO_PASSWORD)).token;
  finance = (await signIn(DEMO_FINANCE.login, DEMO_PASSWORD)).token;
  admin = (await signIn(DEMO_ADMIN.login, DEMO_PASSWORD)).token;
});

test('a photo added offline uploads once: 201, then 200 for the same bytes, one row, history 张伟 上传了签收单', async () => {
  const orderId = await newOrder();
  const photo = jpeg(20_000);
  const thumb = jpeg(900);
  const attachmentId = await attach(orderId, photo, { thumb });

  const first = await upload(orderId, sha256Hex(photo), photo);
  assert.equal(first.status, 201, first.text);
  assert.deepEqual(first.json, { sha256: sha256Hex(photo), stored: true });
  const again = await upload(orderId, sha256Hex(photo), photo);
  assert.equal(again.status, 200, again.text);
  assert.deepEqual(again.json, { sha256: sha256Hex(photo), stored: false });
  // Another phone with the same bytes (a second upload of the same photo) is told "done" too.
  const fromSales = await upload(orderId, sha256Hex(photo), photo, sales);
  assert.equal(fromSales.status, 200, fromSales.text);
  assert.equal((await upload(orderId, sha256Hex(thumb), thumb)).status, 201);

  const rows = await storedRows(orderId);
  assert.equal(rows.length, 2, 'the photo and its thumbnail, once each');
  assert.ok(rows.every((row) => row.uploaded_by === DEMO_WAREHOUSE.id));

  const order = (await pullEveryOrder(sales)).get(orderId);
  const [record] = order.attachments;
  assert.equal(record.id, attachmentId);
  assert.equal(record.kind, 'delivery_note');
  assert.deepEqual(record.by, { user_id: DEMO_WAREHOUSE.id, name: '张伟' });
  const event = order.history.at(-1);
  assert.equal(event.kind.type, 'attachment_added');
  assert.equal(event.actor.name, '张伟');
  const events = await d1(`SELECT kind, actor_id FROM order_events WHERE order_id = '${orderId}' AND kind = 'attachment_added'`);
  assert.deepEqual(events, [{ kind: 'attachment_added', actor_id: DEMO_WAREHOUSE.id }]);

  // Any team member downloads the file and its thumbnail, as stored, never sniffed or run.
  const file = await download(orderId, attachmentId, finance);
  assert.equal(file.status, 200);
  assert.equal(file.headers.get('content-type'), 'image/jpeg');
  assert.equal(file.headers.get('x-content-type-options'), 'nosniff');
  assert.match(file.headers.get('content-security-policy'), /sandbox/);
  assert.ok(Buffer.from(await file.arrayBuffer()).equals(photo));
  const small = await download(orderId, attachmentId, finance, '/thumbnail');
  assert.equal(small.status, 200);
  assert.ok(Buffer.from(await small.arrayBuffer()).equals(thumb));
});

test('bad files are refused with a clear 4xx and nothing is stored', async () => {
  const orderId = await newOrder();
  const photo = jpeg(5000);
  await attach(orderId, photo);
  const hash = sha256Hex(photo);
  const cases = [
    ['a 0-byte file', Buffer.alloc(0), 400, 'file_empty'],
    ['an .exe renamed .jpg', Buffer.concat([Buffer.from('MZ\x90\0\x03\0\0\0'), randomBytes(5000)]), 415, 'file_type_not_allowed'],
    ['an SVG (it can carry script)', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'), 415, 'file_type_not_allowed'],
    ['an HTML page', Buffer.from('<!DOCTYPE html><html><body><script>alert(1)</script></body></html>'), 415, 'file_type_not_allowed'],
    ['a truncated JPEG', photo.subarray(0, photo.length - 100), 422, 'file_truncated'],
    ['other bytes than the hash says', jpeg(5000), 422, 'hash_mismatch'],
    ['a PDF where a JPEG was recorded', Buffer.from('%PDF-1.7\n1 0 obj\nendobj\n%%EOF\n'), 422, 'file_mismatch'],
  ];
  // A WebP whose RIFF header claims nearly 4 GB (the length plus 8 overflowed 32 bits, so the
  // worker counted it complete): its own record, so that the type and size match.
  const hugeRiff = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0xf8, 0xff, 0xff, 0xff]), Buffer.from('WEBPVP8 '), randomBytes(5)]);
  await attach(orderId, hugeRiff, { kind: 'other', fileType: 'webp' });
  const riff = await upload(orderId, sha256Hex(hugeRiff), hugeRiff);
  assertApiError(riff, 422, 'file_truncated');
  for (const [what, body, status, code] of cases) {
    const res = await upload(orderId, hash, body);
    assertApiError(res, status, code);
    assert.match(res.json.error.message, /\p{Script=Han}/u, `${what}: a Chinese message`);
    assert.ok(res.json.error.message_en, what);
  }
  // 200 MB: refused by its declared length, before the worker reads it.
  const huge = await upload(orderId, hash, Buffer.alloc(200 * 1024 * 1024, 0xff));
  assertApiError(huge, 413, 'file_too_large');
  assert.deepEqual(await storedRows(orderId), [], 'nothing stored');
  // The right bytes still go in afterwards.
  assert.equal((await upload(orderId, hash, photo)).status, 201);
});

test('uploads only for a file a live attachment of an existing order names', async () => {
  const orderId = await newOrder();
  const photo = jpeg();
  // No attachment names these bytes (the change adding it was never pushed).
  assertApiError(await upload(orderId, sha256Hex(photo), photo), 404, 'attachment_not_found');
  // An order this server does not hold (another company's, or made up) and a malformed hash.
  assertApiError(await upload(randomUUID(), sha256Hex(photo), photo), 404, 'order_not_found');
  // A path that climbs out is no route at all; a key that is not lower-case hex names nothing.
  assertApiError(await upload(orderId, '../../etc/passwd', photo), 404, 'route_not_found');
  assertApiError(await upload(orderId, 'x'.repeat(64), photo), 404, 'attachment_not_found');
  assertApiError(await upload(orderId, sha256Hex(photo).toUpperCase(), photo), 404, 'attachment_not_found');
  assert.deepEqual(await storedRows(orderId), []);
});

test('no session, a forged one or an expired one: 401 for upload and download', async () => {
  const orderId = await newOrder();
  const photo = jpeg();
  const attachmentId = await attach(orderId, photo);
  assert.equal((await upload(orderId, sha256Hex(photo), photo)).status, 201);

  const expired = (await signIn(DEMO_SALES.login, DEMO_PASSWORD)).token;
  await d1(`UPDATE sessions SET expires_at = '${new Date(Date.now() - 1000).toISOString()}' WHERE token_hash = '${sha256Hex(expired)}'`);
  const forged = 'A'.repeat(43);
  for (const token of [forged, expired]) {
    assertApiError(await upload(orderId, sha256Hex(photo), photo, token), 401, 'unauthorized');
    const res = await download(orderId, attachmentId, token);
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, 'unauthorized');
  }
  const anonymous = await fetch(`${BASE_URL}/api/orders/${orderId}/attachments/${attachmentId}`);
  assert.equal(anonymous.status, 401);
});

test('the same photo from a second phone is refused as a duplicate, naming who added it', async () => {
  const orderId = await newOrder();
  const photo = jpeg();
  await attach(orderId, photo);
  const answer = await pushAsSales([{
    type: 'add_attachment', order_id: orderId,
    attachment: { id: randomUUID(), kind: 'other', file: fileRef(photo) },
  }]);
  assert.equal(answer.rejected.length, 1);
  assert.match(answer.rejected[0].message, /张伟/);
});

test('a file not uploaded yet is 404 file_not_uploaded; a removed one is hidden, then an admin purges it for good', async () => {
  const orderId = await newOrder();
  const photo = jpeg();
  const thumb = jpeg(500);
  const attachmentId = await attach(orderId, photo, { kind: 'qc_photo', thumb });
  const early = await download(orderId, attachmentId);
  assert.equal(early.status, 404);
  assert.equal((await early.json()).error.code, 'file_not_uploaded');
  assert.equal((await upload(orderId, sha256Hex(photo), photo)).status, 201);
  assert.equal((await upload(orderId, sha256Hex(thumb), thumb)).status, 201);

  const purge = (token) => api(`/api/admin/orders/${orderId}/attachments/${attachmentId}/purge`, { method: 'POST', headers: bearer(token) });
  // Not removed yet: an admin is told to remove it first.
  assertApiError(await purge(admin), 422, 'invalid');

  const removed = await push(warehouse, [{ type: 'remove_attachment', order_id: orderId, attachment_id: attachmentId }]);
  assert.equal(removed.rejected.length, 0, JSON.stringify(removed.rejected));
  const hidden = await download(orderId, attachmentId);
  assert.equal(hidden.status, 404);
  assert.equal((await hidden.json()).error.code, 'attachment_not_found');
  assert.equal((await storedRows(orderId)).length, 2, 'removed, not yet purged: the bytes stay');

  // Sales, who never held the photo, cannot bring it back by naming its hash (every phone sees
  // it in the order); only 张伟, who added it, could.
  const revived = await pushAsSales([{
    type: 'add_attachment',
    order_id: orderId,
    attachment: { id: randomUUID(), kind: 'qc_photo', file: fileRef(photo) },
  }]);
  assert.equal(revived.rejected.length, 1, JSON.stringify(revived));
  assert.match(revived.rejected[0].message, /张伟/);
  // A purge pushed by a phone (even an admin's) is refused: only the purge below deletes bytes.
  const adminDevice = randomUUID();
  const pushedPurge = await api('/api/sync/push', {
    json: {
      device_id: adminDevice,
      mutations: [{ seq: 1, mutation: { type: 'purge_attachment', order_id: orderId, attachment_id: attachmentId }, device_time: new Date().toISOString() }],
    },
    headers: bearer(admin),
  });
  assert.equal(pushedPurge.status, 200, pushedPurge.text);
  assert.equal(pushedPurge.json.rejected.length, 1, pushedPurge.text);
  assert.equal(pushedPurge.json.rejected[0].code, 'forbidden');
  assert.equal((await storedRows(orderId)).length, 2, 'a pushed purge deletes nothing');

  assertApiError(await purge(sales), 403, 'forbidden');
  const purged = await purge(admin);
  assert.equal(purged.status, 200, purged.text);
  assert.deepEqual(await storedRows(orderId), [], 'the bytes are gone for good');
  const order = (await pullEveryOrder(sales)).get(orderId);
  assert.equal(order.attachments[0].purged, true);
  assert.deepEqual(order.history.slice(-2).map((event) => event.kind.type), ['attachment_removed', 'attachment_purged']);
  // A purged file cannot be uploaded again under the removed attachment.
  assertApiError(await upload(orderId, sha256Hex(photo), photo), 404, 'attachment_not_found');
});

test('customers get 签收单 and 发票 through a shared link only, never a QC photo or a number + digits lookup', async () => {
  const orderId = await newOrder();
  const note = jpeg(3000);
  const noteThumb = jpeg(300);
  const qc = jpeg(3000);
  const noteId = await attach(orderId, note, { thumb: noteThumb });
  const qcId = await attach(orderId, qc, { kind: 'qc_photo' });
  // An invoice whose phone has sent the file but not yet its thumbnail.
  const invoice = jpeg(2000);
  const invoiceId = await attach(orderId, invoice, { kind: 'invoice', thumb: jpeg(200) });
  for (const bytes of [note, noteThumb, qc, invoice]) assert.equal((await upload(orderId, sha256Hex(bytes), bytes)).status, 201);

  const shared = await api(`/api/orders/${orderId}/share`, { method: 'POST', headers: bearer(sales) });
  assert.equal(shared.status, 200, shared.text);
  const link = shared.json.token;
  const view = await api(`/api/track/t/${link}`);
  assert.equal(view.status, 200, view.text);
  // The invoice's thumbnail is not on the server yet: the page shows no broken picture for it.
  assert.deepEqual(view.json.attachments.map((a) => [a.id, a.kind, a.kind_label, a.has_thumbnail]), [
    [noteId, 'delivery_note', '签收单', true],
    [invoiceId, 'invoice', '发票', false],
  ]);
  assert.deepEqual(Object.keys(view.json.attachments[0]).sort(), ['added_on', 'file_type', 'has_thumbnail', 'id', 'kind', 'kind_label']);

  const page = await api(`/t/${link}`);
  assert.match(page.text, /签收单/);
  assert.match(page.text, new RegExp(`/t/${link}/files/${noteId}/thumbnail`));
  assert.doesNotMatch(page.text, new RegExp(`/t/${link}/files/${invoiceId}/thumbnail`));
  assert.match(page.text, new RegExp(`/t/${link}/files/${invoiceId}"`));
  const file = await fetch(`${BASE_URL}/t/${link}/files/${noteId}`);
  assert.equal(file.status, 200);
  assert.ok(Buffer.from(await file.arrayBuffer()).equals(note));
  assert.equal((await fetch(`${BASE_URL}/t/${link}/files/${noteId}/thumbnail`)).status, 200);
  // The QC photo is the team's.
  assert.equal((await fetch(`${BASE_URL}/t/${link}/files/${qcId}`)).status, 404);

  // The short proof a number + digits lookup hands out opens no files.
  const number = (await pullEveryOrder(sales)).get(orderId).number;
  const lookup = await api('/api/track/lookup', { json: { order_number: number, phone_last4: '1234' } });
  assert.equal(lookup.status, 200, lookup.text);
  assert.deepEqual(lookup.json.attachments, []);
  assert.equal(readToken(lookup.json.access.token).orderId, orderId);
  const byLookup = await api(`/api/track/t/${lookup.json.access.token}`);
  assert.deepEqual(byLookup.json.attachments, []);
  const refused = await fetch(`${BASE_URL}/t/${lookup.json.access.token}/files/${noteId}`);
  assert.equal(refused.status, 404);
});

test('one member pushing 61 records that never get a file cannot block the real 签收单', async () => {
  // An attacker's finding: records with made-up hashes and no upload used up the order's 60
  // slots, and the signed delivery note a stage needs was refused.
  const orderId = await newOrder();
  const junk = Array.from({ length: 61 }, () => ({
    type: 'add_attachment',
    order_id: orderId,
    attachment: { id: randomUUID(), kind: 'delivery_note', file: { sha256: randomBytes(32).toString('hex'), file_type: 'pdf', size: 20971520 } },
  }));
  const answer = await push(warehouse, junk);
  assert.equal(answer.rejected.length, 41, 'one person holds at most 20 on one order');
  const [first] = answer.rejected;
  assert.equal(first.code, 'invalid');
  assert.match(first.message, /你在这张订单上已添加 20 个附件/);
  assert.match(first.message_en, /20 attachments on this order/);

  const photo = jpeg(20_000);
  const real = { id: randomUUID(), kind: 'delivery_note', file: fileRef(photo) };
  const added = await pushAsSales([{ type: 'add_attachment', order_id: orderId, attachment: real }]);
  assert.deepEqual(added.rejected, []);
  const stored = await upload(orderId, sha256Hex(photo), photo, sales);
  assert.equal(stored.status, 201, stored.text);
  const order = (await pullEveryOrder(sales)).get(orderId);
  assert.ok(order.attachments.some((a) => a.id === real.id && a.by.name === '王芳'));
});

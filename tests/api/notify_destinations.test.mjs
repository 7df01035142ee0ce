// Webhook destinations on a worker WITHOUT the test escape (NOTIFY_ALLOW_LOCAL_HTTP): a channel
// URL may not name this machine, a link-local/metadata address, a private or unique-local
// network, in any literal form or by a local name. (The notification tests run with the escape
// so they can reach their receiver on 127.0.0.1; this file checks the rule as deployed.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { HAN, assertApiError, bearer, freshIp, startPrivateWorker } from '../support/api.mjs';

const SETUP_TOKEN = randomBytes(24).toString('base64url');
let worker;
let admin;

before(async () => {
  worker = await startPrivateWorker({ vars: { SETUP_TOKEN } });
  const setup = await worker.call('/api/auth/setup', {
    json: { name: '管理员', login: 'admin@example.com', password: 'admin-password-1' },
    headers: { 'x-setup-token': SETUP_TOKEN, 'cf-connecting-ip': freshIp() },
  });
  assert.equal(setup.status, 201, setup.text);
  admin = setup.json.token;
});

after(async () => {
  await worker?.stop();
});

const createChannel = (url) =>
  worker.call('/api/admin/notify/channels', { json: { kind: 'webhook', name: '网关', url }, headers: bearer(admin) });

const INTERNAL = [
  'https://127.0.0.1/hook',
  'http://127.0.0.1:8832/hook',
  'https://localhost/hook',
  'https://api.localhost/hook',
  'https://[::1]/hook',
  'https://0.0.0.0/hook',
  'https://10.0.0.5/hook',
  'https://172.16.3.4/hook',
  'https://192.168.1.1/hook',
  'https://169.254.169.254/latest/meta-data',
  'https://100.64.0.1/hook',
  'https://[fe80::1]/hook',
  'https://[fd12:3456::1]/hook',
  'https://[::ffff:127.0.0.1]/hook',
  'https://[::ffff:a9fe:a9fe]/hook',
  'https://2130706433/hook',
  'https://0x7f.1/hook',
  'https://printer.local/hook',
  'https://metadata.google.internal/computeMetadata/v1/',
];

test('webhook URLs naming loopback, link-local, private or unique-local hosts are refused (400, field url)', async () => {
  for (const url of INTERNAL) {
    const error = assertApiError(await createChannel(url), 400, 'invalid_channel');
    assert.equal(error.field, 'url', url);
    assert.match(error.message, HAN);
    assert.match(error.message_en, /private network|this machine|reserved/, url);
  }
  const list = await worker.call('/api/admin/notify/channels', { headers: bearer(admin) });
  assert.deepEqual(list.json.channels, [], 'none of them was saved');
});

test('a public https URL is accepted, and cannot be changed to an internal one afterwards', async () => {
  const created = await createChannel('https://hooks.example.com/gendan');
  assert.equal(created.status, 201, created.text);
  const { id } = created.json.channel;
  const patched = await worker.call(`/api/admin/notify/channels/${id}`, {
    method: 'PATCH',
    json: { url: 'https://169.254.169.254/latest/meta-data' },
    headers: bearer(admin),
  });
  assert.equal(assertApiError(patched, 400, 'invalid_channel').field, 'url');
});

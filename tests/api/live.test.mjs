// The live channel (GET /api/live, a WebSocket to one Durable Object) against real wrangler dev:
// a push on one device pokes the other phones; the session token is checked before the upgrade;
// a disabled account's and a signed-out session's sockets close; a bad client message closes
// only its own socket; one user's sockets are bounded; 200 idle sockets are held.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import {
  BASE_URL,
  DEMO_PASSWORD,
  DEMO_SALES,
  adminToken,
  api,
  bearer,
  createOrderMutation,
  createUser,
  d1,
  sha256Hex,
  signIn,
} from '../support/api.mjs';

const LIVE_URL = `${BASE_URL.replace(/^http/, 'ws')}/api/live`;
const PROTOCOL = 'gendan-live';
// Far below the app's 60 s poll: a poke that takes longer than this is not "live".
const DEADLINE_MS = 5000;

let admin;
let sales;

before(async () => {
  admin = await adminToken();
  sales = (await signIn(DEMO_SALES.login, DEMO_PASSWORD)).token;
});

/// Polls `check` until it returns something truthy, failing after `ms`.
async function waitFor(check, what, ms = DEADLINE_MS) {
  const started = Date.now();
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() - started > ms) assert.fail(`no ${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/// An open live socket: its messages as they arrive, and how it closed (once it has).
async function openLive(token) {
  const ws = new WebSocket(LIVE_URL, [PROTOCOL, token]);
  const socket = { ws, messages: [], closed: null, errors: 0 };
  ws.addEventListener('message', (event) => socket.messages.push(JSON.parse(event.data)));
  ws.addEventListener('error', () => (socket.errors += 1));
  ws.addEventListener('close', (event) => (socket.closed = { code: event.code, reason: event.reason }));
  await waitFor(() => ws.readyState === WebSocket.OPEN || socket.closed, 'open socket');
  assert.equal(ws.readyState, WebSocket.OPEN, `socket refused: ${JSON.stringify(socket.closed)}`);
  assert.equal(ws.protocol, PROTOCOL);
  return socket;
}

/// The server has closed the socket: its close frame arrived (CLOSING) or the close completed.
/// Under local wrangler dev, a close the object starts outside the socket's own event (a command
/// from the worker) leaves Node's client in CLOSING: the frame arrives, the TCP end does not.
const closedByServer = (socket) => socket.ws.readyState >= WebSocket.CLOSING;

const pokes = (socket) => socket.messages.filter((message) => message.type === 'poke');

/// A WebSocket handshake by hand, to see the HTTP answer a refused one gets.
function handshake(protocols) {
  return new Promise((resolve, reject) => {
    const headers = {
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'sec-websocket-key': randomBytes(16).toString('base64'),
    };
    if (protocols) headers['sec-websocket-protocol'] = protocols;
    const request = http.request(`${BASE_URL}/api/live`, { headers });
    request.on('response', (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode, upgraded: false, body }));
    });
    request.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode, upgraded: true, protocol: response.headers['sec-websocket-protocol'] });
    });
    request.on('error', reject);
    request.end();
  });
}

let deviceSeq = new Map();
async function pushOrder(token, deviceId = randomUUID()) {
  const seq = (deviceSeq.get(deviceId) ?? 0) + 1;
  deviceSeq.set(deviceId, seq);
  const mutation = createOrderMutation(randomUUID(), { company: '杭州实时测试有限公司' });
  const response = await api('/api/sync/push', {
    json: { device_id: deviceId, mutations: [{ seq, mutation, device_time: new Date().toISOString() }] },
    headers: bearer(token),
  });
  assert.equal(response.status, 200, response.text);
  assert.deepEqual(response.json.rejected, []);
  return deviceId;
}

async function member() {
  const user = await createUser(admin);
  const { token } = await signIn(user.login, user.password);
  return { user, token };
}

test('a push on one device pokes the other phones with the new data version', async () => {
  const { token: colleague } = await member();
  const salesPhone = await openLive(sales);
  const colleaguePhone = await openLive(colleague);
  try {
    const device = await pushOrder(sales);
    const [first] = await waitFor(() => pokes(colleaguePhone).length && pokes(colleaguePhone), 'poke');
    assert.deepEqual(Object.keys(first).sort(), ['type', 'version']);
    assert.equal(first.version, (await api('/api/health')).json.data_version, 'the poke carries the data version');
    await waitFor(() => pokes(salesPhone).length, 'poke on the pushing phone');

    await pushOrder(sales, device);
    const second = await waitFor(() => pokes(colleaguePhone)[1], 'second poke');
    assert.ok(second.version > first.version, 'a later push pokes a later version');
  } finally {
    salesPhone.ws.close();
    colleaguePhone.ws.close();
  }
});

test('without a valid session the connection is refused before the upgrade', async () => {
  const absent = await handshake(null);
  assert.equal(absent.status, 401);
  assert.equal(absent.upgraded, false);
  assert.equal(JSON.parse(absent.body).error.code, 'unauthorized');

  const malformed = await handshake(`${PROTOCOL}, not-a-token`);
  assert.deepEqual([malformed.status, malformed.upgraded], [401, false]);

  const unknown = await handshake(`${PROTOCOL}, ${randomBytes(32).toString('base64url')}`);
  assert.deepEqual([unknown.status, unknown.upgraded], [401, false]);

  const { token: expired } = await member();
  await d1(`UPDATE sessions SET expires_at = '${new Date(Date.now() - 1000).toISOString()}' WHERE token_hash = '${sha256Hex(expired)}'`);
  const late = await handshake(`${PROTOCOL}, ${expired}`);
  assert.deepEqual([late.status, late.upgraded], [401, false]);

  // The same token that works: the refusals above are about the session, not the handshake.
  const ok = await handshake(`${PROTOCOL}, ${sales}`);
  assert.deepEqual([ok.status, ok.upgraded, ok.protocol], [101, true, PROTOCOL]);

  // A plain GET with a valid token is told to upgrade.
  const plain = await fetch(`${BASE_URL}/api/live`, { headers: { 'sec-websocket-protocol': `${PROTOCOL}, ${sales}` } });
  assert.equal(plain.status, 426);
});

test("a disabled account's sockets close, and only its sockets", async () => {
  const { user, token } = await member();
  const doomed = await openLive(token);
  const bystander = await openLive(sales);
  try {
    const response = await api(`/api/admin/users/${user.id}`, { method: 'PATCH', json: { active: false }, headers: bearer(admin) });
    assert.equal(response.status, 200, response.text);
    await waitFor(() => closedByServer(doomed), 'close of the disabled account');
    assert.equal(bystander.ws.readyState, WebSocket.OPEN);
    await pushOrder(sales);
    await waitFor(() => pokes(bystander).length, 'poke on the bystander');
    assert.deepEqual(pokes(doomed), [], 'no poke reaches a closed socket');
    const refused = await handshake(`${PROTOCOL}, ${token}`);
    assert.equal(refused.upgraded, false);
  } finally {
    bystander.ws.close();
  }
});

test("signing out closes that session's sockets, not the user's other sessions", async () => {
  const { user, token } = await member();
  const { token: otherSession } = await signIn(user.login, user.password);
  const leaving = await openLive(token);
  const staying = await openLive(otherSession);
  try {
    const out = await api('/api/auth/logout', { method: 'POST', headers: bearer(token) });
    assert.equal(out.status, 200, out.text);
    await waitFor(() => closedByServer(leaving), 'close at sign-out');
    assert.equal(staying.ws.readyState, WebSocket.OPEN);
  } finally {
    staying.ws.close();
  }
});

test('a malformed or oversized message closes only that socket', async () => {
  const { token } = await member();
  const rude = await openLive(token);
  const huge = await openLive(token);
  const polite = await openLive(token);
  try {
    rude.ws.send('hello?');
    assert.equal((await waitFor(() => rude.closed, 'close after a malformed message')).code, 1008);
    huge.ws.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(2000) }));
    assert.equal((await waitFor(() => huge.closed, 'close after an oversized message')).code, 1009);

    polite.ws.send('{"type":"ping"}');
    await waitFor(() => polite.messages.some((message) => message.type === 'pong'), 'pong');
    await pushOrder(sales);
    await waitFor(() => pokes(polite).length, 'poke on the polite socket');
    assert.equal(polite.ws.readyState, WebSocket.OPEN);
  } finally {
    polite.ws.close();
  }
});

test("one user's sockets are bounded: the eleventh closes the oldest", async () => {
  const { token } = await member();
  const sockets = [];
  try {
    for (let i = 0; i < 11; i += 1) sockets.push(await openLive(token));
    await waitFor(() => closedByServer(sockets[0]), 'close of the oldest');
    assert.ok(sockets.slice(1).every((socket) => socket.ws.readyState === WebSocket.OPEN));
  } finally {
    for (const socket of sockets) socket.ws.close();
  }
});

test('200 idle sockets are held and all get a poke', async () => {
  const sockets = [];
  try {
    // Ten per user (the bound), twenty users.
    for (let u = 0; u < 20; u += 1) {
      const { token } = await member();
      const opened = await Promise.all(Array.from({ length: 10 }, () => openLive(token)));
      sockets.push(...opened);
    }
    assert.equal(sockets.length, 200);
    await pushOrder(sales);
    await waitFor(() => sockets.every((socket) => pokes(socket).length > 0), 'poke on all 200 sockets', 15000);
    assert.ok(sockets.every((socket) => socket.ws.readyState === WebSocket.OPEN && socket.errors === 0));
  } finally {
    for (const socket of sockets) socket.ws.close();
  }
});

// GET /api/health: what an uptime check or load balancer sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '../support/api.mjs';

test('the health check answers 200 with an ok status, an ok database, a version and a data version', async () => {
  const { status, json, text } = await api('/api/health');
  assert.equal(status, 200, text);
  assert.equal(json.status, 'ok');
  assert.equal(json.database, 'ok');
  assert.equal(typeof json.version, 'string');
  assert.ok(json.version.trim().length > 0, 'the version names the running build');
  assert.ok(Number.isInteger(json.data_version), `data_version is an integer, got ${JSON.stringify(json.data_version)}`);
  assert.ok(json.data_version >= 0);
});

test('the health check is JSON that no cache keeps and no browser sniffs', async () => {
  const { headers } = await api('/api/health');
  assert.match(headers.get('content-type') ?? '', /^application\/json\b/);
  assert.equal(headers.get('cache-control'), 'no-store');
  assert.equal(headers.get('x-content-type-options'), 'nosniff');
});

// Customer-side helpers: the signed link format of worker/src/auth/customer_link.rs, re-implemented here from
// its documentation so tests can make tokens the server never issued (expired ones, other
// secrets) and read the order id out of a token, plus the key paths a customer may ever see.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';

/// The per-run secret scripts/test gives the shared worker (and exports for the tests).
export function testSecret() {
  const secret = process.env.SHARE_SECRET;
  if (!secret) throw new Error('SHARE_SECRET is not set: run the tests through scripts/test (or export the worker\'s secret)');
  return secret;
}

const DOMAIN_V1 = Buffer.from('gendan/track-link/v1\0', 'latin1');
const DOMAIN = Buffer.from('gendan/track-link/v2\0', 'latin1');
const b64url = (bytes) => Buffer.from(bytes).toString('base64url');

/// A token for `orderId` valid until `expiresAt` (a Date), issued at `issuedAt` (a Date, default
/// now), signed with `secret` the way the worker signs (format v2: id ‖ expiry s ‖ issued ms).
export function signToken(orderId, expiresAt, secret = testSecret(), issuedAt = new Date()) {
  const payload = Buffer.alloc(26);
  Buffer.from(orderId.replaceAll('-', ''), 'hex').copy(payload, 0);
  payload.writeUInt32BE(Math.floor(expiresAt.getTime() / 1000), 16);
  payload.writeUIntBE(issuedAt.getTime(), 20, 6);
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8')).update(DOMAIN).update(payload).digest().subarray(0, 16);
  return `${b64url(payload)}.${b64url(mac)}`;
}

/// A token of the first format (v1: id ‖ expiry, no issue time), as links given out before
/// per-order revocation look.
export function signV1Token(orderId, expiresAt, secret = testSecret()) {
  const payload = Buffer.alloc(20);
  Buffer.from(orderId.replaceAll('-', ''), 'hex').copy(payload, 0);
  payload.writeUInt32BE(Math.floor(expiresAt.getTime() / 1000), 16);
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8')).update(DOMAIN_V1).update(payload).digest().subarray(0, 16);
  return `${b64url(payload)}.${b64url(mac)}`;
}

/// The order id, expiry and issue time (v2 only) a token claims (without checking its signature).
export function readToken(token) {
  const payload = Buffer.from(token.split('.')[0], 'base64url');
  assert.ok(payload.length === 26 || payload.length === 20, `token payload: ${token}`);
  const hex = payload.subarray(0, 16).toString('hex');
  const orderId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const issuedAt = payload.length === 26 ? new Date(payload.readUIntBE(20, 6)) : undefined;
  return { orderId, expiresAt: new Date(payload.readUInt32BE(16) * 1000), issuedAt };
}

// Every key path a customer answer may contain: the CustomerView (domain/src/customer_view.rs)
// and the access token beside it. Anything else is a leak.
export const VIEW_PATHS = [
  'order_number', 'company', 'status', 'stages', 'stages[].label', 'stages[].reached_on', 'stages[].state',
  'current_message', 'expected_delivery', 'items', 'items[].product', 'items[].quantity', 'items[].unit',
  'shipment', 'shipment.carrier', 'shipment.tracking_no',
  'shipment.shipped_on', 'sales_contact', 'sales_contact.name', 'sales_contact.phone', 'feedback_open',
  'feedback', 'feedback.stars', 'feedback.comment', 'feedback.given_on', 'feedback.editable_until',
  'after_sales', 'after_sales[].kind', 'after_sales[].kind_label', 'after_sales[].description',
  'after_sales[].submitted_on', 'after_sales[].resolved_on',
  'attachments', 'attachments[].id', 'attachments[].kind', 'attachments[].kind_label',
  'attachments[].file_type', 'attachments[].has_thumbnail', 'attachments[].added_on',
];
export const ACCESS_PATHS = ['access', 'access.token', 'access.expires_at'];
export const VIEW_TOP_LEVEL = VIEW_PATHS.filter((path) => !path.includes('.') && !path.includes('['));

export function keyPaths(value, prefix = '', paths = new Set()) {
  if (Array.isArray(value)) {
    for (const item of value) keyPaths(item, `${prefix}[]`, paths);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      paths.add(path);
      keyPaths(child, path, paths);
    }
  }
  return paths;
}

/// The answer has every top-level CustomerView key (plus `access` when `withAccess`) and no key
/// path outside the customer's.
export function assertCustomerShape(json, { withAccess }) {
  const top = withAccess ? [...VIEW_TOP_LEVEL, 'access'] : VIEW_TOP_LEVEL;
  assert.deepEqual(Object.keys(json).sort(), [...top].sort());
  const allowed = new Set([...VIEW_PATHS, ...(withAccess ? ACCESS_PATHS : [])]);
  assert.deepEqual([...keyPaths(json)].filter((path) => !allowed.has(path)), [], 'no field outside the customer view');
  if (withAccess) assert.deepEqual(Object.keys(json.access).sort(), ['expires_at', 'token']);
}

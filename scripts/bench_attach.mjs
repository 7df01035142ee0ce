// Attachment upload benchmark (run by scripts/bench, or `node scripts/bench_attach.mjs` after
// scripts/build): against a private wrangler dev with its local R2 and D1, 20 photos of 1 MB
// uploaded one after another through PUT /api/orders/:id/files/:sha256 (the session, the order
// read from D1, the bytes checked by type and SHA-256, R2 put, the D1 row: what a phone's upload
// queue does) vs the same bytes put one after another straight into the same R2 binding through
// the dev-only PUT /api/dev/bench/r2/:name (the body read with the same limit, nothing else).
// Fresh bytes every run (an upload of bytes already stored would skip R2), and the two sides
// alternate which goes first. Prints the medians and the ratio against the target (<= 1.5x).
import { createHash, randomBytes, randomUUID } from 'node:crypto';

process.env.BASE_URL ??= 'http://127.0.0.1:1'; // the shared helpers want one; we use a private worker
const { startPrivateWorker, devHeaders, DEMO_ADMIN, DEMO_PASSWORD, bearer, createOrderMutation } = await import('../tests/support/api.mjs');

const PHOTOS = 20;
const PHOTO_BYTES = 1024 * 1024;
const RUNS = 5;
const TARGET = 1.5;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t) => Number(t.toFixed(0));

/// A 1 MB "photo" the worker accepts as a JPEG (its start and end markers around fresh bytes).
function photo() {
  const bytes = randomBytes(PHOTO_BYTES);
  bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
  bytes.set([0xff, 0xd9], PHOTO_BYTES - 2);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

const worker = await startPrivateWorker({ vars: { DEMO_DATA: 'enabled' } });
try {
  const call = async (path, options, expected = [200]) => {
    const answer = await worker.call(path, options);
    if (!expected.includes(answer.status)) throw new Error(`${path}: ${answer.status} ${answer.text.slice(0, 300)}`);
    return answer.json;
  };
  await call('/api/dev/demo-data', { method: 'POST', headers: devHeaders() });
  const { token } = await call('/api/auth/login', { json: { login: DEMO_ADMIN.login, password: DEMO_PASSWORD } });
  const auth = bearer(token);

  const ours = [];
  const baseline = [];
  for (let run = 0; run < RUNS; run += 1) {
    const photos = Array.from({ length: PHOTOS }, photo);
    // The order and its 20 attachments first (not timed): the worker takes only bytes a live
    // attachment names, as after a phone's push.
    const orderId = randomUUID();
    const mutations = [
      createOrderMutation(orderId, { company: `上传基准${run}有限公司` }),
      ...photos.map(({ sha256 }) => ({
        type: 'add_attachment',
        order_id: orderId,
        attachment: { id: randomUUID(), kind: 'qc_photo', file: { sha256, file_type: 'jpeg', size: PHOTO_BYTES } },
      })),
    ].map((mutation, i) => ({ seq: i + 1, mutation, device_time: new Date().toISOString() }));
    const pushed = await call('/api/sync/push', { json: { device_id: randomUUID(), mutations }, headers: auth });
    if (pushed.rejected.length) throw new Error(`push refused: ${JSON.stringify(pushed.rejected[0])}`);

    const throughWorker = async () => {
      const start = performance.now();
      for (const { bytes, sha256 } of photos) {
        const answer = await call(`/api/orders/${orderId}/files/${sha256}`, {
          method: 'PUT', body: bytes, headers: { ...auth, 'content-type': 'application/octet-stream' },
        }, [201]);
        if (!answer.stored) throw new Error('the worker did not store a fresh photo');
      }
      ours.push(performance.now() - start);
    };
    const straightIntoR2 = async () => {
      const start = performance.now();
      for (const { bytes, sha256 } of photos) {
        await call(`/api/dev/bench/r2/${sha256}`, {
          method: 'PUT', body: bytes, headers: { ...devHeaders(), 'content-type': 'application/octet-stream' },
        });
      }
      baseline.push(performance.now() - start);
    };
    if (run % 2 === 0) {
      await throughWorker();
      await straightIntoR2();
    } else {
      await straightIntoR2();
      await throughWorker();
    }
  }

  const ratio = median(ours) / median(baseline);
  console.log(`attachment upload benchmark, median of ${RUNS} runs (alternating which side goes first):`);
  console.log(
    `${`${PHOTOS} photos of 1 MB`.padEnd(34)} through the worker ${String(ms(median(ours))).padStart(6)} ms  ` +
    `straight into R2 ${String(ms(median(baseline))).padStart(6)} ms  ratio ${ratio.toFixed(2)}x  target <= ${TARGET}x  ` +
    `${ratio <= TARGET ? 'ok' : 'MISSED'}   (runs: ${ours.map(ms).join('/')} vs ${baseline.map(ms).join('/')})`,
  );
} finally {
  await worker.stop();
}

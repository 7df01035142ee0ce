// Spreadsheet benchmark (run by scripts/bench, or `node scripts/bench_sheets.mjs` after
// scripts/build): against a private wrangler dev + local D1 with the demo data,
//  1. import of 10,000 CSV rows through POST /api/admin/import: the dry run, then the commit
//     (rules per row, one guarded D1 batch), vs a raw D1 batch insert of the same 10,000 order
//     rows with one audit row each (plain batches through the dev-only /api/dev/bench/write, 400
//     rows per request because a request body is at most 1 MiB);
//  2. export of every order (10,000 imported + the demo's) as .xlsx and as .csv through
//     GET /api/export.*, vs a raw D1 batch select of the same rows (/api/dev/bench/select).
// Prints the figures and ratios against the targets (import <= 3x, export <= 2x). One run each:
// a second import of the same rows would change nothing, and fresh rows make another dataset.
import { randomUUID } from 'node:crypto';

process.env.BASE_URL ??= 'http://127.0.0.1:1'; // the shared helpers want one; we use a private worker
const { startPrivateWorker, d1, devHeaders, DEMO_ADMIN, DEMO_PASSWORD, bearer } = await import('../tests/support/api.mjs');

const ROWS = 10_000;
const RAW_CHUNK = 400;
const ms = (t) => Number(t.toFixed(0));

const worker = await startPrivateWorker({ vars: { DEMO_DATA: 'enabled' } });
try {
  const call = async (path, options) => {
    const answer = await worker.call(path, options);
    if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${answer.text.slice(0, 300)}`);
    return answer;
  };
  await call('/api/dev/demo-data', { method: 'POST', headers: devHeaders() });
  const { token } = (await call('/api/auth/login', { json: { login: DEMO_ADMIN.login, password: DEMO_PASSWORD } })).json;
  const auth = bearer(token);

  const lines = ['订单号,客户名称,联系人,手机,品名,数量,单价,交期,业务员,备注'];
  for (let i = 1; i <= ROWS; i += 1) {
    const n = String(i).padStart(5, '0');
    lines.push(`BENCH-IMP-${n},基准客户${i % 500}有限公司,联系人${i % 97},139${String(i).padStart(8, '0')},精梳棉纱 32S,${(i % 50) + 1},23.50,2027/${(i % 12) + 1}/${(i % 28) + 1},${i % 2 ? '王芳' : '孙磊'},第${i}行导入`);
  }
  const csv = Buffer.from(lines.join('\r\n'));
  const upload = (dryRun) => call(`/api/admin/import?mode=both&dry_run=${dryRun ? 1 : 0}`, {
    method: 'POST', body: csv, headers: { ...auth, 'content-type': 'application/octet-stream' },
  });

  // 1. Import: dry run, then commit.
  let start = performance.now();
  const dry = await upload(true);
  const dryMs = performance.now() - start;
  if (dry.json.totals.create !== ROWS) throw new Error(`dry run: ${JSON.stringify(dry.json.totals)}`);
  start = performance.now();
  const commit = await upload(false);
  const commitMs = performance.now() - start;
  if (commit.json.totals.create !== ROWS || !commit.json.batch_id) throw new Error(`commit: ${JSON.stringify(commit.json.totals)}`);

  // 2. Export of every order, against a raw select of the same rows (before the raw insert
  // below adds rows that are no one's orders).
  const [{ n: total }] = await d1('SELECT COUNT(*) AS n FROM orders', worker.persistDir);
  const download = async (format) => {
    const begin = performance.now();
    const response = await fetch(`${worker.url}/api/export.${format}`, { headers: auth });
    const bytes = Buffer.from(await response.arrayBuffer());
    if (response.status !== 200) throw new Error(`export.${format}: ${response.status} ${bytes.toString().slice(0, 300)}`);
    return { ms: performance.now() - begin, bytes: bytes.length };
  };
  const xlsx = await download('xlsx');
  const csvOut = await download('csv');
  start = performance.now();
  const raw = await call('/api/dev/bench/select', { headers: devHeaders(), json: { cursor: 0, limit: 1000, pages: Math.ceil(total / 1000) } });
  const rawSelectMs = performance.now() - start;
  if (raw.json.rows.length !== total) throw new Error(`raw select: ${raw.json.rows.length} of ${total}`);

  // The raw baseline writes rows shaped like the imported ones (one stored order as the template,
  // fresh ids and numbers so that every row is an insert).
  const [template] = await d1(`SELECT stage, status, owner_id, phone_last4, doc, created_at, updated_at FROM orders WHERE number = 'BENCH-IMP-00001'`, worker.persistDir);
  const rows = Array.from({ length: ROWS }, (_, i) => ({
    ...template, id: randomUUID(), number: `BENCH-RAW-${i}`, event_kind: 'created', event_payload: '{"type":"created"}',
  }));
  start = performance.now();
  for (let i = 0; i < rows.length; i += RAW_CHUNK) {
    await call('/api/dev/bench/write', { headers: devHeaders(), json: { rows: rows.slice(i, i + RAW_CHUNK) } });
  }
  const rawInsertMs = performance.now() - start;

  const report = (name, ours, baseline, target) => {
    const ratio = ours / baseline;
    console.log(
      `${name.padEnd(44)} ours ${String(ms(ours)).padStart(7)} ms  raw D1 ${String(ms(baseline)).padStart(6)} ms  ` +
      `ratio ${ratio.toFixed(2)}x  target <= ${target}x  ${ratio <= target ? 'ok' : 'MISSED'}`,
    );
  };
  console.log(`\nspreadsheet benchmark, one run (${ROWS} CSV rows, ${(csv.length / 1024).toFixed(0)} KiB; ${total} orders exported):`);
  console.log(`  import dry run ${ms(dryMs)} ms + commit ${ms(commitMs)} ms; raw insert in ${Math.ceil(ROWS / RAW_CHUNK)} batches of ${RAW_CHUNK}`);
  report(`import of ${ROWS} rows (dry run + commit)`, dryMs + commitMs, rawInsertMs, 3);
  report(`import commit alone`, commitMs, rawInsertMs, 3);
  report(`export of ${total} orders as .xlsx (${(xlsx.bytes / 1024 / 1024).toFixed(1)} MiB)`, xlsx.ms, rawSelectMs, 2);
  report(`export of ${total} orders as .csv (${(csvOut.bytes / 1024 / 1024).toFixed(1)} MiB)`, csvOut.ms, rawSelectMs, 2);
} finally {
  await worker.stop();
}

// Where the field bundle's bytes go, per crate: `twiggy top` on the release app.wasm before
// wasm-bindgen (function names still present), grouped by the crate each function or data item
// belongs to. Names, custom sections and wasm-bindgen's describe stubs are left out (wasm-bindgen
// strips them), so the shares are of what ships; the KiB column scales the shares to the
// shipped wasm's gzip size given on the command line.
//
// Usage: node scripts/wasm_breakdown.mjs <app.wasm> <shipped gzip bytes>
import { execFileSync } from 'node:child_process';

const [wasm, shippedGzip] = process.argv.slice(2);
if (!wasm || !shippedGzip) throw new Error('usage: wasm_breakdown.mjs <app.wasm> <shipped gzip bytes>');
const csv = execFileSync('twiggy', ['top', '-n', '1000000', '-f', 'csv', wasm], { encoding: 'utf8', maxBuffer: 1 << 28 });

// The first crate named in an item: `tachys::…`, `<tachys::… as …>`, `core[hash]::…`.
function crateOf(name) {
  if (name.startsWith('data segment') || name.startsWith('data[')) return '(static data)';
  if (name.startsWith('elem[') || name.startsWith('table[')) return '(tables)';
  const match = name.match(/([a-z_][a-z0-9_]*)(?:\[[0-9a-f]+\])?::/);
  return match ? match[1] : '(other)';
}

const totals = new Map();
let all = 0;
for (const line of csv.split('\n').slice(1)) {
  if (!line) continue;
  const nameEnd = line.startsWith('"') ? line.indexOf('",', 1) + 1 : line.indexOf(',');
  const name = line.slice(0, nameEnd).replace(/^"|"$/g, '').replace(/""/g, '"');
  const size = Number(line.slice(nameEnd + 1).split(',')[0]);
  if (!Number.isFinite(size)) continue;
  if (/function names|custom section|__wbindgen_describe|^import |^export /.test(name)) continue;
  const crate = crateOf(name);
  totals.set(crate, (totals.get(crate) ?? 0) + size);
  all += size;
}
const rows = [...totals].sort((a, b) => b[1] - a[1]);
const shown = rows.slice(0, 14);
const rest = rows.slice(14).reduce((sum, [, size]) => sum + size, 0);
console.log(`field bundle by crate (twiggy ${wasm.split('/').pop()}, shares of shipped code and data)`);
for (const [crate, size] of [...shown, ['(all others)', rest]]) {
  const share = size / all;
  console.log(`  ${crate.padEnd(28)} ${(share * 100).toFixed(1).padStart(5)} %  ≈ ${(share * shippedGzip / 1024).toFixed(1).padStart(6)} KiB gzip`);
}

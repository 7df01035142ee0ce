// Writes app/dist/sw.js from public/sw.js: the build version (a hash of every file the app
// shell is made of, so any change to them is a new version and a new cache) and the list of
// files to precache. Also writes app/dist/_headers (Workers Static Assets header rules): the
// team app's Content-Security-Policy, which allows its wasm ('wasm-unsafe-eval') and Trunk's
// inline bootstrap script by its hash, computed here from this build's index.html.
// Run by scripts/build after Trunk.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const [dist, template] = process.argv.slice(2);
if (!dist || !template) throw new Error('usage: service-worker.mjs <dist dir> <sw.js template>');

// Not part of the shell: the service worker itself and the assets' header rules.
const SKIP = new Set(['sw.js', '_headers', '_redirects']);

function files(dir) {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const shell = files(dist).filter((path) => !SKIP.has(relative(dist, path)));
const hash = createHash('sha256');
for (const path of shell) {
  hash.update(relative(dist, path)).update('\0').update(readFileSync(path)).update('\0');
}
const version = hash.digest('hex').slice(0, 16);
// index.html is served at "/" (the assets binding redirects /index.html there).
const urls = shell.map((path) => {
  const url = '/' + relative(dist, path).split(sep).join('/');
  return url === '/index.html' ? '/' : url;
});
const source = readFileSync(template, 'utf8')
  .replace("'__BUILD_VERSION__'", JSON.stringify(version))
  .replace('__PRECACHE__', JSON.stringify(urls));
if (source.includes('__BUILD_VERSION__') || source.includes('__PRECACHE__')) {
  throw new Error('sw.js template placeholders not replaced');
}
writeFileSync(join(dist, 'sw.js'), source);
console.log(`service worker ${version}: ${urls.length} files precached`);

// Every inline <script> of index.html (Trunk's module that loads the wasm), allowed by hash and
// nothing else inline. The hash covers the exact text between the tags.
const index = readFileSync(join(dist, 'index.html'), 'utf8');
const inlineScripts = [...index.matchAll(/<script\b(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((match) => match[1]);
if (inlineScripts.length === 0) throw new Error('index.html has no inline script: did Trunk change how it loads the app?');
const hashes = inlineScripts.map((text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`);
const csp = [
  "default-src 'self'",
  `script-src 'self' 'wasm-unsafe-eval' ${hashes.join(' ')}`,
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
// Only static assets get these rules; the worker's own answers (API, customer pages) set theirs.
writeFileSync(join(dist, '_headers'), [
  '/*',
  `  Content-Security-Policy: ${csp}`,
  '  X-Frame-Options: DENY',
  '  X-Content-Type-Options: nosniff',
  '  Referrer-Policy: same-origin',
  '',
].join('\n'));
console.log(`_headers: CSP with ${hashes.length} inline script hash(es)`);

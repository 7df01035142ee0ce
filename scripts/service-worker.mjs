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
// The pages are served without ".html" (the assets binding redirects /index.html to "/" and
// /desk.html to "/desk").
const urls = shell.map((path) => {
  const url = '/' + relative(dist, path).split(sep).join('/');
  return url === '/index.html' ? '/' : url.replace(/\.html$/, '');
});
// The desk bundle (app/src/bundle.rs) is not precached: only people who open a desk screen
// download it, and from then on it is kept with the shell. Its page and its own files (the CSS
// and the wasm-bindgen snippets are the field bundle's too).
const desk = urls.filter((url) => url === '/desk' || /^\/desk-[0-9a-f]+(_bg\.wasm|\.js)$/.test(url));
if (desk.length !== 3) throw new Error(`expected the desk page, its JS and its wasm in dist, found ${JSON.stringify(desk)}`);
const precache = urls.filter((url) => !desk.includes(url));
const source = readFileSync(template, 'utf8')
  .replace("'__BUILD_VERSION__'", JSON.stringify(version))
  .replace('__PRECACHE__', JSON.stringify(precache))
  .replace('__DESK__', JSON.stringify(desk));
if (['__BUILD_VERSION__', '__PRECACHE__', '__DESK__'].some((mark) => source.includes(mark))) {
  throw new Error('sw.js template placeholders not replaced');
}
writeFileSync(join(dist, 'sw.js'), source);
console.log(`service worker ${version}: ${precache.length} files precached, ${desk.length} kept once the desk is opened`);

// Every inline <script> of both pages (Trunk's module that loads the wasm, the first screen's
// own script, app/src/boot.rs), allowed by hash and nothing else inline. The hash covers the
// exact text between the tags.
const inlineScripts = ['index.html', 'desk.html'].flatMap((page) => {
  const html = readFileSync(join(dist, page), 'utf8');
  const found = [...html.matchAll(/<script\b(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((match) => match[1]);
  if (found.length < 2) throw new Error(`${page} lacks Trunk's loader or the first screen's script: did Trunk change how it loads the app?`);
  return found;
});
const hashes = [...new Set(inlineScripts)].map((text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`);
const csp = [
  "default-src 'self'",
  `script-src 'self' 'wasm-unsafe-eval' ${hashes.join(' ')}`,
  "style-src 'self'",
  // blob: the order page's photos and thumbnails, made from bytes this page holds (photo.rs).
  "img-src 'self' data: blob:",
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

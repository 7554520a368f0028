// Builds the console into one self-contained HTML page: the bundled script
// and the stylesheet are inlined, so stepd serves a single document and the
// browser loads nothing else (no CDN, no second request to authorise).
//
// Usage: node build.mjs OUT_DIR
// Writes OUT_DIR/index.html and OUT_DIR/manifest.json:
//   index.html     contains the text __STEPD_CONSOLE_CONFIG__ exactly once,
//                  inside <script type="application/json" id="stepd-config">;
//                  stepd replaces it with the console's settings (JSON with
//                  '<', '>' and '&' escaped as \u003c, \u003e, \u0026).
//   manifest.json  {"script_sha256", "style_sha256"}: base64 SHA-256 of the
//                  inline script and style, for the Content-Security-Policy
//                  stepd sends ('sha256-<value>').
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node build.mjs OUT_DIR');
  process.exit(2);
}

const bundle = await build({
  entryPoints: [join(here, 'src/main.jsx')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome109', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  write: false,
  legalComments: 'none',
  logLevel: 'warning',
});
// An inline script ends at the first "</script": keep it out of the code.
const script = bundle.outputFiles[0].text.replaceAll('</script', '<\\/script').trim();
const style = readFileSync(join(here, 'src/style.css'), 'utf8').trim();
const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('base64');

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>stepd console</title>
<style>${style}</style>
<script type="application/json" id="stepd-config">__STEPD_CONSOLE_CONFIG__</script>
</head>
<body>
<div id="app"></div>
<script>${script}</script>
</body>
</html>
`;
if (page.split('__STEPD_CONSOLE_CONFIG__').length !== 2) {
  throw new Error('the config placeholder must appear exactly once in the page');
}
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'index.html'), page);
writeFileSync(join(out, 'manifest.json'),
  JSON.stringify({ script_sha256: sha256(script), style_sha256: sha256(style) }, null, 2) + '\n');
console.log(`console: ${join(out, 'index.html')} (${page.length} bytes)`);

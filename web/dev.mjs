// For working on the console: serves a fresh build of the page at /console/
// (local mode, no sign-in) and passes every other request to a running
// stepd. Usage: node dev.mjs STEPD_URL [PORT]   (then open /console/)
import { createServer, request } from 'node:http';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const target = new URL(process.argv[2] || 'http://127.0.0.1:8080');
const port = Number(process.argv[3] || 5173);
const out = join(here, 'dist');

createServer((req, res) => {
  if (req.url === '/console/' || req.url.startsWith('/console/?')) {
    try {
      execFileSync('node', [join(here, 'build.mjs'), out], { stdio: 'inherit' });
      const page = readFileSync(join(out, 'index.html'), 'utf8')
        .replace('__STEPD_CONSOLE_CONFIG__', JSON.stringify({ version: 'dev', auth: { mode: 'none' } }));
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(page);
    } catch (e) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(String(e));
    }
    return;
  }
  const upstream = request({
    host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers,
  }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
  req.pipe(upstream);
}).listen(port, '127.0.0.1', () => console.log(`console at http://127.0.0.1:${port}/console/ -> ${target}`));

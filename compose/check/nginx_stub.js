// Stand-in for kemas-api in nginx_test.sh: echoes the request it received as JSON (headers,
// body size, when the first body byte arrived), streams 4 MiB for download routes.
//   node nginx_stub.js PORT
const http = require('http');
http.createServer((req, res) => {
  const t0 = Date.now();
  let first = null, bytes = 0;
  req.on('data', (c) => { if (first === null) first = Date.now() - t0; bytes += c.length; });
  req.on('end', () => {
    if (req.url.startsWith('/api/v1/auth/files/download/')) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': 4 * 1024 * 1024, 'X-Request-Id': req.headers['x-request-id'] || '' });
      const chunk = Buffer.alloc(64 * 1024, 97); let sent = 0;
      const pump = () => { while (sent < 4 * 1024 * 1024) { sent += chunk.length; if (!res.write(chunk)) return res.once('drain', pump); } res.end(); };
      return pump();
    }
    const body = JSON.stringify({ url: req.url, method: req.method, headers: req.headers, bytes, first_body_ms: first, total_ms: Date.now() - t0 });
    res.writeHead(req.url === '/kemas-500' ? 500 : 200, { 'Content-Type': 'application/json', 'X-Request-Id': req.headers['x-request-id'] || '', 'X-Frame-Options': 'DENY' });
    res.end(body);
  });
}).listen(Number(process.argv[2]), '127.0.0.1', () => console.log('stub up'));

// The reference tus client against kemas: uploads FILE with npm's tus-js-client (node), as an
// integrator would. Used by test/integration/tus_test.py.
//
// usage: node upload.mjs ENDPOINT FILE TOKEN NAME [--stop-at FRACTION] [--upload-url URL]
//   --stop-at F    exit with status 3 (the connection cut mid-body) once F of the file is sent
//   --upload-url U resume upload U (HEAD for its offset, then PATCH from there)
// Prints one JSON line per event: {"url"}, {"stopped", "sent"}, {"done", "url"}, {"error"}.
import fs from 'node:fs';
import * as tus from 'tus-js-client';

const [endpoint, path, token, name, ...rest] = process.argv.slice(2);
let stopAt = null;
let uploadUrl = null;
for (let i = 0; i < rest.length; i += 2) {
  if (rest[i] === '--stop-at') stopAt = Number(rest[i + 1]);
  else if (rest[i] === '--upload-url') uploadUrl = rest[i + 1];
  else throw new Error(`unknown option ${rest[i]}`);
}
const say = (event) => process.stdout.write(JSON.stringify(event) + '\n');
const data = fs.readFileSync(path);

const upload = new tus.Upload(data, {
  endpoint,
  uploadUrl,
  headers: { Authorization: `Bearer ${token}` },
  metadata: { filename: name, filetype: 'application/octet-stream' },
  retryDelays: [0, 500, 1000, 2000],
  onUploadUrlAvailable() {
    say({ url: upload.url });
  },
  onProgress(sent, total) {
    if (stopAt !== null && sent >= stopAt * total) {
      say({ stopped: true, sent, total });
      process.exit(3);  // like a killed client: the PATCH's connection just ends
    }
  },
  onSuccess() {
    say({ done: true, url: upload.url });
    process.exit(0);
  },
  onError(error) {
    say({ error: String(error) });
    process.exit(1);
  },
});
upload.start();

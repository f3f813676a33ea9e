#!/usr/bin/env node
// Starts the S3-compatible test server (@20minutes/s3rver, pinned in package-lock.json).
// Its package ships a CLI module but no executable; this is that executable.
// Usage: node s3-server.js -d DIR -a 127.0.0.1 -p PORT --configure-bucket NAME
require('@20minutes/s3rver/lib/cli.js').parseAsync(process.argv).catch((err) => {
  console.error(err);
  process.exit(1);
});

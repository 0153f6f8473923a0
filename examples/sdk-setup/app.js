'use strict';
// An ordinary application: requests with the global fetch and with an https
// keep-alive Agent. It knows nothing of OpenTelemetry.
//
//   node --require ./instrumentation.js app.js [url] [count]
const https = require('node:https');

const url = process.argv[2] ?? 'https://example.com/';
const count = Number(process.argv[3] ?? 10);

async function get(agent) {
  await new Promise((resolve, reject) => {
    https
      .get(url, { agent }, (response) => {
        response.resume();
        response.on('end', resolve);
      })
      .on('error', reject);
  });
  // The Agent frees the socket a moment after the response ends; a request
  // sent at once would sometimes find no free socket and open another.
  await new Promise((resolve) => setImmediate(resolve));
}

async function main() {
  for (let i = 0; i < count; i += 1) {
    const response = await fetch(url);
    await response.text();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const agent = new https.Agent({ keepAlive: true });
  for (let i = 0; i < count; i += 1) await get(agent);
  agent.destroy();
  console.log(`app: ${count} requests with fetch and ${count} with an https.Agent to ${new URL(url).host}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

// An ordinary ES module application with no OpenTelemetry code. Connection
// metrics come from outside:
//
//   node --import @connmetrics/auto/register app.mjs [url] [count]
import https from 'node:https';

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

for (let i = 0; i < count; i += 1) {
  const response = await fetch(url);
  await response.text();
  await new Promise((resolve) => setImmediate(resolve));
}
const agent = new https.Agent({ keepAlive: true });
for (let i = 0; i < count; i += 1) await get(agent);
agent.destroy();
console.log(`app: ${count} requests with fetch and ${count} with an https.Agent to ${new URL(url).host}`);

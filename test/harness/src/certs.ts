import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(__dirname, '..', 'certs');
const read = (name: string) => readFileSync(join(dir, name), 'utf8');

/** Test certificates (see certs/README.md). */
export const certs = {
  dir,
  ca: read('ca.crt'),
  serverCert: read('server.crt'),
  serverKey: read('server.key'),
  clientCert: read('client.crt'),
  clientKey: read('client.key'),
  selfSignedCert: read('self-signed.crt'),
  selfSignedKey: read('self-signed.key'),
};

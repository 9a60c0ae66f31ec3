// A throwaway certificate authority and a server certificate for 127.0.0.1 made with openssl,
// for TLS test servers (the registry harness's tls mode): clients trust `caFile` or nothing.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireBinary } from './require.ts';

export interface TestCa {
  /** PEM of the CA certificate, what `registry.caFile` points at. */
  caFile: string;
  /** Server certificate (PEM) for 127.0.0.1 / localhost, signed by the CA. */
  certFile: string;
  keyFile: string;
}

export function makeTestCa(dir: string): TestCa {
  const openssl = requireBinary('openssl', 'openssl');
  const run = (args: string[]) => execFileSync(openssl, args, { stdio: 'ignore' });
  const file = (name: string) => join(dir, name);
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    file('ca-key.pem'),
    '-out',
    file('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=imagewarden test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    file('server-key.pem'),
    '-out',
    file('server.csr'),
    '-subj',
    '/CN=127.0.0.1',
  ]);
  writeFileSync(
    file('server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n',
  );
  run([
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca-key.pem'),
    '-CAcreateserial',
    '-out',
    file('server.pem'),
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
  ]);
  return { caFile: file('ca.pem'), certFile: file('server.pem'), keyFile: file('server-key.pem') };
}

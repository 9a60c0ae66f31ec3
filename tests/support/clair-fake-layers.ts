// Layer tars of the Clair v4 fake (clair-fake.ts): reading `packages.txt` ("name version"
// lines) out of a layer, which is what the fake's "indexing" does, and writing such a layer
// for tests and the bench to serve.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { FakePackage } from './clair-fake-model.ts';

/** Reads `packages.txt` out of a (possibly gzipped) ustar layer; throws when it is not a tar. */
export function packagesFromLayer(blob: Buffer): FakePackage[] {
  const tar = blob[0] === 0x1f && blob[1] === 0x8b ? gunzipSync(blob) : blob;
  if (tar.length < 1024 || tar.length % 512 !== 0) throw new Error('layer is not a tar archive');
  const out: FakePackage[] = [];
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    if (header.subarray(257, 262).toString() !== 'ustar') throw new Error('layer is not a tar archive');
    const name = header.subarray(0, 100).toString().replace(/\0.*$/s, '');
    const size = Number.parseInt(header.subarray(124, 136).toString().replace(/\0.*$/s, '').trim() || '0', 8);
    const content = tar.subarray(offset + 512, offset + 512 + size).toString('utf8');
    if (name.replace(/^\.?\//, '') === 'packages.txt') {
      for (const line of content.split('\n')) {
        const [pkg, version] = line.trim().split(/\s+/);
        if (pkg) out.push({ name: pkg, version: version ?? '' });
      }
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** A gzipped ustar layer holding `packages.txt` with "name version" lines. */
export function packagesLayer(packages: FakePackage[], extra = ''): Buffer {
  const content = Buffer.from(packages.map((p) => `${p.name} ${p.version}\n`).join('') + extra);
  const header = Buffer.alloc(512, 0);
  header.write('packages.txt', 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512, 0);
  return gzipSync(Buffer.concat([header, content, pad, Buffer.alloc(1024, 0)]));
}

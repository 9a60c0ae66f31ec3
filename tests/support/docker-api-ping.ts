// Whether a Docker Engine API (dockerd, or Podman's compatible service) answers on a unix
// socket: GET /_ping with a short timeout; anything but 200 is "not yet".
import { request } from 'node:http';

export function pingDockerApi(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', method: 'GET', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

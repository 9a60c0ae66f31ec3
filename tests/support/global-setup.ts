// Integration globalSetup: check up front that every binary the real-service tests use is
// installed, and fail with the Debian package to install instead of a confusing error later.
import { findBinary } from './require.ts';

const NEEDED: ReadonlyArray<readonly [bin: string, debianPackage: string]> = [
  ['dockerd', 'docker.io'],
  ['docker', 'docker.io'],
  ['docker-registry', 'docker-registry'],
  ['skopeo', 'skopeo'],
  ['getfattr', 'attr'],
  ['setfattr', 'attr'],
];

export default function setup(): void {
  const missing = NEEDED.filter(([bin]) => findBinary(bin) === undefined);
  if (missing.length > 0) {
    const packages = [...new Set(missing.map(([, pkg]) => pkg))];
    throw new Error(
      `integration tests need ${missing.map(([bin]) => bin).join(', ')}: ` +
        `install the Debian package(s) with: apt-get install -y ${packages.join(' ')}`,
    );
  }
}

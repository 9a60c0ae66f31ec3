// The pull secrets handed to a node Job, served through the ClusterReader port so the node pass
// resolves credentials with the very code it uses when it reads the API itself
// (loadPullCredentials: same precedence, same problems). Only the two reads that code makes
// are served; anything else would mean a handed pass reached for the API, which it must not.
import { ImagewardenError } from '../../core/errors.ts';
import type { ClusterReader } from '../cluster/ClusterReader.ts';
import type {
  KubeNamespace,
  KubeNode,
  KubePod,
  KubeSecret,
  KubeServiceAccount,
  Listed,
  Workload,
} from '../cluster/types.ts';

export class HandedSecretReader implements ClusterReader {
  readonly #secrets: ReadonlyMap<string, KubeSecret>;

  constructor(secrets: ReadonlyMap<string, KubeSecret>) {
    this.#secrets = secrets;
  }

  async getSecret(namespace: string, name: string): Promise<KubeSecret | undefined> {
    return this.#secrets.get(`${namespace}/${name}`);
  }

  /** The fan-out folded every service account's imagePullSecrets into the images already. */
  async getServiceAccount(): Promise<KubeServiceAccount | undefined> {
    return undefined;
  }

  getNode(): Promise<KubeNode | undefined> {
    return this.#refuse('getNode');
  }
  listNodes(): Promise<Listed<KubeNode>> {
    return this.#refuse('listNodes');
  }
  listNamespaces(): Promise<Listed<KubeNamespace>> {
    return this.#refuse('listNamespaces');
  }
  listPods(): Promise<Listed<KubePod>> {
    return this.#refuse('listPods');
  }
  listWorkloads(): Promise<Listed<Workload>> {
    return this.#refuse('listWorkloads');
  }
  createEvent(): Promise<void> {
    return this.#refuse('createEvent');
  }

  #refuse(method: string): Promise<never> {
    return Promise.reject(new ImagewardenError(`${method} is not served from a handed desired set`));
  }
}

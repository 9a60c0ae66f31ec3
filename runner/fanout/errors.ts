// Errors of the fan-out's Kubernetes writes.
import { ImagewardenError } from '../../core/errors.ts';

/** Thrown by JobScheduler.createJob when a Job of that name exists already (HTTP 409). */
export class JobExistsError extends ImagewardenError {
  override name = 'JobExistsError';
  readonly job: string;
  constructor(job: string, options?: { cause?: unknown }) {
    super(`Job ${job} already exists`, options);
    this.job = job;
  }
}

/** Thrown by JobScheduler.createConfigMap/createSecret when the object exists already (HTTP 409). */
export class ObjectExistsError extends ImagewardenError {
  override name = 'ObjectExistsError';
  readonly object: string;
  constructor(object: string, options?: { cause?: unknown }) {
    super(`${object} already exists`, options);
    this.object = object;
  }
}

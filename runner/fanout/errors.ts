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

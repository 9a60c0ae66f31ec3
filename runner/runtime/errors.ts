// Errors specific to the image runtime.
import { ImagewardenError } from '../../core/errors.ts';

/** Thrown by ImageRuntime.removeImage when a container (running or stopped) still uses the image. */
export class ImageInUseError extends ImagewardenError {
  override name = 'ImageInUseError';
  readonly image: string;
  constructor(image: string, message: string, options?: { cause?: unknown }) {
    super(`${image}: ${message}`, options);
    this.image = image;
  }
}

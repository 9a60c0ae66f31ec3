// A real image runtime whose image-store space is simulated, for prune's watermark tests: the
// disk starts `usedBytes` full (of 100 GB) and each removal through the runtime frees `perImage`.
import type { FileSystemSpace, ImageRuntime } from '../../runner/runtime/ImageRuntime.ts';

export const GB = 1024 ** 3;

export function withDisk(runtime: ImageRuntime, usedBytes: number, perImage: number): ImageRuntime {
  let used = usedBytes;
  return new Proxy(runtime, {
    get(target, prop, receiver) {
      if (prop === 'imageStoreSpace')
        return async (): Promise<FileSystemSpace> => ({ freeBytes: 100 * GB - used, totalBytes: 100 * GB });
      if (prop === 'removeImage')
        return async (reference: string) => {
          await target.removeImage(reference);
          used -= perImage;
        };
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

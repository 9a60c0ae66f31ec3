// Schemas of the CRI answers the adapter reads, after proto-loader decoding (snake_case
// field names, enums as strings, 64-bit integers as numbers, defaults filled in), and of the
// runtime-specific JSON in ContainerStatus's verbose `info`.
import { z } from 'zod';

const Strings = z.array(z.string()).default([]);
const Labels = z.record(z.string(), z.string()).default({});

export const CriImage = z.looseObject({
  id: z.string(),
  repo_tags: Strings,
  repo_digests: Strings,
  size: z.number().default(0),
  pinned: z.boolean().default(false),
});
export type CriImage = z.infer<typeof CriImage>;

export const ListImagesResponse = z.looseObject({ images: z.array(CriImage).default([]) });
export const ImageStatusResponse = z.looseObject({
  image: CriImage.nullish(),
  info: Labels,
});

export const PullImageResponse = z.looseObject({ image_ref: z.string().default('') });

export const VersionResponse = z.looseObject({
  version: z.string().default(''),
  runtime_name: z.string().default(''),
  runtime_version: z.string().default(''),
  runtime_api_version: z.string().default(''),
});

const UInt64Value = z.looseObject({ value: z.number().default(0) }).nullish();
export const FilesystemUsage = z.looseObject({
  fs_id: z.looseObject({ mountpoint: z.string().default('') }).nullish(),
  used_bytes: UInt64Value,
  inodes_used: UInt64Value,
});
export const ImageFsInfoResponse = z.looseObject({
  image_filesystems: z.array(FilesystemUsage).default([]),
});

const ImageSpec = z.looseObject({ image: z.string().default('') }).nullish();
const ContainerState = z.string().default('CONTAINER_UNKNOWN');
const ContainerMetadata = z.looseObject({ name: z.string().default('') }).nullish();

export const CriContainer = z.looseObject({
  id: z.string(),
  pod_sandbox_id: z.string().default(''),
  metadata: ContainerMetadata,
  image: ImageSpec,
  image_ref: z.string().default(''),
  image_id: z.string().default(''),
  state: ContainerState,
  labels: Labels,
});
export type CriContainer = z.infer<typeof CriContainer>;
export const ListContainersResponse = z.looseObject({ containers: z.array(CriContainer).default([]) });

export const ContainerStatusResponse = z.looseObject({
  status: z
    .looseObject({
      id: z.string(),
      metadata: ContainerMetadata,
      state: ContainerState,
      image: ImageSpec,
      image_ref: z.string().default(''),
      image_id: z.string().default(''),
      labels: Labels,
      mounts: z
        .array(z.looseObject({ container_path: z.string().default(''), host_path: z.string().default('') }))
        .default([]),
    })
    .nullish(),
  info: Labels,
});

/**
 * `info["info"]` of a verbose ContainerStatus. containerd (pkg/cri/server/container_status.go)
 * and CRI-O (server/container_status.go) both put a JSON document there with the container's
 * `pid` and its OCI `runtimeSpec`, which holds the SELinux labels the runtime applied.
 */
export const ContainerVerboseInfo = z.looseObject({
  pid: z.number().default(0),
  runtimeSpec: z
    .looseObject({
      process: z.looseObject({ selinuxLabel: z.string().default('') }).nullish(),
      linux: z.looseObject({ mountLabel: z.string().default('') }).nullish(),
    })
    .nullish(),
});

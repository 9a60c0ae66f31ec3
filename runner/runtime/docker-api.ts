// Schemas of the Docker Engine API answers the runtime adapter reads (Podman's compatible
// API answers the same shapes). Nullable lists are normalised to empty ones.
import { z } from 'zod';

const Labels = z
  .record(z.string(), z.string())
  .nullish()
  .transform((value) => value ?? {});
const Strings = z
  .array(z.string())
  .nullish()
  .transform((value) => value ?? []);

export const DockerImageSummary = z.looseObject({
  Id: z.string(),
  RepoTags: Strings,
  RepoDigests: Strings,
  Labels,
  Size: z.number(),
  Created: z.number().optional(),
});
export type DockerImageSummary = z.infer<typeof DockerImageSummary>;

export const DockerImageInspect = z.looseObject({
  Id: z.string(),
  RepoTags: Strings,
  RepoDigests: Strings,
  Size: z.number(),
  Created: z.string().optional(),
  Config: z.looseObject({ Labels }).nullish(),
});
export type DockerImageInspect = z.infer<typeof DockerImageInspect>;

export const DockerContainerSummary = z.looseObject({
  Id: z.string(),
  Names: Strings,
  Image: z.string(),
  ImageID: z.string(),
  State: z.string(),
  Labels,
});
export type DockerContainerSummary = z.infer<typeof DockerContainerSummary>;

export const DockerContainerInspect = z.looseObject({
  Id: z.string(),
  Name: z.string(),
  Image: z.string(),
  State: z.looseObject({ Status: z.string(), Pid: z.number().default(0) }),
  Config: z.looseObject({ Image: z.string().optional(), Labels }),
  ProcessLabel: z.string().default(''),
  MountLabel: z.string().default(''),
  HostConfig: z
    .looseObject({
      SecurityOpt: z
        .array(z.string())
        .nullish()
        .transform((value) => value ?? []),
    })
    .optional(),
  Mounts: z
    .array(
      z.looseObject({
        Type: z.string().default(''),
        Source: z.string().default(''),
        Destination: z.string(),
      }),
    )
    .nullish()
    .transform((value) => value ?? []),
});
export type DockerContainerInspect = z.infer<typeof DockerContainerInspect>;

export const DockerVersion = z.looseObject({
  Version: z.string(),
  Components: z
    .array(z.looseObject({ Name: z.string() }))
    .nullish()
    .transform((value) => value ?? []),
});

export const DockerInfo = z.looseObject({ DockerRootDir: z.string().optional() });

/** One line of the JSON progress stream of POST /images/create. */
export const PullStreamLine = z.looseObject({
  status: z.string().optional(),
  id: z.string().optional(),
  progressDetail: z.looseObject({ current: z.number().optional(), total: z.number().optional() }).nullish(),
  error: z.string().optional(),
  errorDetail: z.looseObject({ message: z.string().optional() }).nullish(),
});
export type PullStreamLine = z.infer<typeof PullStreamLine>;

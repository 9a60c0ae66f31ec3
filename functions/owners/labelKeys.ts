// Owner label keys as they arrive in container metadata. Beats "dedots" label keys by
// default (`org.opencontainers.image.authors` -> `org_opencontainers_image_authors`), so each
// configured key is looked up in both forms, the configured form first.

/** Beats' dedot: every `.` in a label key becomes `_`. */
export function dedot(key: string): string {
  return key.replaceAll('.', '_');
}

/** The keys to read, in priority order, each configured key followed by its dedotted form. */
export function labelKeyVariants(configured: readonly string[]): string[] {
  const out: string[] = [];
  for (const key of configured) {
    for (const variant of [key, dedot(key)]) if (!out.includes(variant)) out.push(variant);
  }
  return out;
}

// Whether a registry host is one of policy.approvedRegistries (case-insensitive host[:port]);
// an empty list approves every registry.

export function isApproved(registry: string, approved: readonly string[]): boolean {
  if (approved.length === 0) return true;
  const host = registry.toLowerCase();
  return approved.some((a) => a.toLowerCase() === host);
}

// Normalized vulnerability severities (Clair's normalized_severity), ordered.
import { z } from 'zod';

export const Severity = z.enum(['Unknown', 'Negligible', 'Low', 'Medium', 'High', 'Critical']);
export type Severity = z.infer<typeof Severity>;

export const SEVERITY_RANK: Record<Severity, number> = {
  Unknown: 0,
  Negligible: 1,
  Low: 2,
  Medium: 3,
  High: 4,
  Critical: 5,
};

export function atLeast(severity: Severity, minimum: Severity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[minimum];
}

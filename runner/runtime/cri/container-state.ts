// CRI container states in the words the rest of the runner uses (Docker's): the SELinux check
// looks at running containers, prune keeps an image any container uses whatever its state.
const STATES: Record<string, string> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_UNKNOWN: 'unknown',
};

export function containerStateOf(state: string): string {
  return STATES[state] ?? 'unknown';
}

// Keeps the report model of the last two cycles (StateStore collection `reports`), so a report
// can say what changed since the cycle before. A cycle is an inventory snapshot: building the
// report again for the same snapshot replaces `latest` and keeps `previous` as it was.
import type { StateStore } from '../../core/state/StateStore.ts';
import { ReportModel } from './ReportModel.ts';

export const REPORTS = 'reports';

async function read(store: StateStore, key: string): Promise<ReportModel | undefined> {
  const parsed = ReportModel.safeParse(await store.get(REPORTS, key));
  return parsed.success ? parsed.data : undefined;
}

/** The report of the cycle before `takenAt`, if one was kept. */
export async function previousReport(store: StateStore, takenAt: string): Promise<ReportModel | undefined> {
  const latest = await read(store, 'latest');
  if (latest && latest.cycle.takenAt !== takenAt) return latest;
  return read(store, 'previous');
}

export async function keepReport(store: StateStore, model: ReportModel): Promise<void> {
  const latest = await read(store, 'latest');
  if (latest && latest.cycle.takenAt !== model.cycle.takenAt) await store.put(REPORTS, 'previous', latest);
  await store.put(REPORTS, 'latest', model);
}

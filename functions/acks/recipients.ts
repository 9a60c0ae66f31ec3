// "Is this address a recipient of findings in this scope?" — the ack handler's check that a
// link is used for findings still routed to the person it was mailed to. Reads the stored
// findings; the security contact may acknowledge anything.
import type { StateStore } from '../../core/state/StateStore.ts';
import { loadOpenFindings } from '../notify/loadFindings.ts';
import { recipientOf } from '../notify/select.ts';
import type { AckScope } from './Ack.ts';
import { scopeCovers } from './matcher.ts';

export function storedRecipientCheck(
  store: StateStore,
  securityContact: string,
): (scope: AckScope, address: string) => Promise<boolean> {
  return async (scope, address) => {
    const who = address.toLowerCase();
    if (who === securityContact.toLowerCase()) return true;
    const { findings } = await loadOpenFindings(store);
    return findings.some((f) => scopeCovers(scope, f) && recipientOf(f, securityContact) === who);
  };
}

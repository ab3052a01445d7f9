import type { Store } from '../store/store.js';

/**
 * What delivery needs of the store: 11 of its methods (a transaction, and the event queue, for
 * delivery.failed events committed with their outcomes). The consumer owns its narrow port
 * (STYLE.md, convention 2): a test or another adapter for delivery implements just these.
 */
export type DeliveryStore = Pick<
  Store,
  'getIssue' | 'counts' | 'expireLeases' | 'claim' | 'renewLeases' | 'record' | 'suppress' | 'appendConsentEvent' | 'pauseIssue' | 'transaction' | 'enqueueEvents'
>;

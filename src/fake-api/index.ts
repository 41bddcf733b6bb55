export { startFakeApi, type FakeApi, type FakeApiOptions } from './server';
export { Ledger, type LedgerCheck, type ClientRecord } from './ledger';

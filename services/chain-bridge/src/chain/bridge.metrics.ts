import { counter } from '@gridledger/telemetry';

export const bridgeMetrics = {
  submissions: () => counter('gridledger_chain_submissions_total', 'Transactions the bridge signed and sent, by kind'),
  confirmed: () => counter('gridledger_chain_confirmed_total', 'Commits and finalizations confirmed at the configured depth, by kind'),
  alarms: () => counter('gridledger_chain_alarms_total', 'Alarms: root conflicts, role violations, refused commits, by kind'),
  reorgs: () => counter('gridledger_chain_reorgs_total', 'Commits or finalizations that left the canonical chain and were re-submitted'),
  rpcFailures: () => counter('gridledger_chain_rpc_failures_total', 'Worker rounds that failed because the chain did not answer'),
};

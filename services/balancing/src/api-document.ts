import { balancingProofReplySchema } from '@gridledger/events';
import { openApiDocument, writeApiDocument, type OpenApiDocument } from '@gridledger/service-kit';
import { groupParams, periodParams, proofParams, proofQuery } from './http/groups.controller';
import { priceBody, priceParams, scheduleBody } from './http/market-input.controller';

/** balancing's HTTP API (served at /docs, written to docs/api/ by `npm run api-docs`). */
export function balancingApiDocument(): OpenApiDocument {
  return openApiDocument({
    name: 'balancing',
    description: 'Settled group periods with their versions and Merkle proofs, the ledger, and the market operator’s prices and schedules.',
    routes: [
      { method: 'get', path: '/groups/:group/periods', summary: 'The group’s periods, newest first.', params: groupParams, paged: true, response: { status: 200, description: 'A page of periods.' } },
      { method: 'get', path: '/groups/:group/periods/:periodId', summary: 'One period of a group with every settled version.', params: periodParams, response: { status: 200, description: 'The period.' } },
      {
        method: 'get',
        path: '/groups/:group/periods/:periodId/proofs/:meterId',
        summary: 'A meter’s leaf and Merkle proof in the group’s period (latest version unless given).',
        params: proofParams,
        query: proofQuery,
        response: { status: 200, description: 'Leaf, proof and root.', schema: balancingProofReplySchema.options[0] },
      },
      { method: 'get', path: '/ledger/balances', summary: 'Balances per account (minor units), with the count and total over every account.', paged: true, response: { status: 200, description: 'A page of balances.' } },
      {
        method: 'get',
        path: '/reconciliation',
        summary: 'The reconciler’s last pass: every difference between meter-ingest, balancing, capacity-market, chain-bridge and the chain, and whether replay heals it (docs/integrity.md).',
        response: { status: 200, description: 'checkedAt, the period range, unreachable services, drifts and heals started.' },
      },
      { method: 'put', path: '/prices/:periodId', summary: 'Sets the period’s imbalance (and energy) price.', params: priceParams, body: { schema: priceBody }, response: { status: 200, description: 'The prices recorded.' } },
      { method: 'post', path: '/schedules', summary: 'Records a schedule between two groups.', body: { schema: scheduleBody }, response: { status: 200, description: 'The schedule and whether it changed anything.' } },
    ],
  });
}

if (require.main === module) writeApiDocument('balancing', balancingApiDocument());

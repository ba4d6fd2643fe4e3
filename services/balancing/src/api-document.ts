import { z } from 'zod';
import { balancingProofReplySchema } from '@gridledger/events';
import { openApiDocument, writeApiDocument, type OpenApiDocument } from '@gridledger/service-kit';
import { groupParams, periodParams, proofParams, proofQuery } from './http/groups.controller';
import { priceBody, priceParams, scheduleBody } from './http/market-input.controller';

/** Writes are EIP-712 signed requests (docs/trust.md). */
const signedRequest = z.object({
  'x-gl-signer': z.string().openapi({ description: 'The signer’s address: MARKET_OPERATOR for prices, the BRP of `fromGroup` for schedules.' }),
  'x-gl-nonce': z.string().openapi({ description: 'bytes32, used once per signer.' }),
  'x-gl-expiry': z.string().openapi({ description: 'Unix seconds, at most 15 minutes ahead.' }),
  'x-gl-signature': z.string().openapi({ description: 'EIP-712 SignedRequest { method, path (with query), bodySha256, nonce, expiry } in domain { gridledger, 2, chainId, RoleRegistry }.' }),
});
/** Protected reads take a Sign-In with Ethereum session (docs/trust.md). */
const readSession = (who: string) => z.object({ authorization: z.string().openapi({ description: `SIWE <base64url message>.<signature> of ${who}.` }) });

/** balancing's HTTP API (served at /docs, written to docs/api/ by `npm run api-docs`). */
export function balancingApiDocument(): OpenApiDocument {
  return openApiDocument({
    name: 'balancing',
    description: 'Settled group periods with their versions and Merkle proofs, the ledger, and the market operator’s prices and schedules.',
    routes: [
      { method: 'get', path: '/groups/:group/periods', summary: 'The group’s periods, newest first.', params: groupParams, paged: true, response: { status: 200, description: 'A page of periods.' } },
      { method: 'get', path: '/groups/:group/periods/:periodId', summary: 'One period of a group with every settled version.', params: periodParams, headers: readSession('the group’s BRP, MARKET_OPERATOR or TSO'), response: { status: 200, description: 'The period.' } },
      {
        method: 'get',
        path: '/groups/:group/periods/:periodId/proofs/:meterId',
        summary: 'A meter’s leaf and Merkle proof in the group’s period (latest version unless given).',
        params: proofParams,
        query: proofQuery,
        headers: readSession('the meter’s MPO or supplier, or MARKET_OPERATOR'),
        response: { status: 200, description: 'Leaf, proof and root.', schema: balancingProofReplySchema.options[0] },
      },
      { method: 'get', path: '/ledger/balances', summary: 'Balances per account (minor units), with the count and total over the accounts shown: every account for MARKET_OPERATOR and TSO, a BRP’s own `brp:<group>` accounts.', headers: readSession('MARKET_OPERATOR, TSO or a BRP'), paged: true, response: { status: 200, description: 'A page of balances.' } },
      {
        method: 'get',
        path: '/reconciliation',
        summary: 'The reconciler’s last pass: every difference between meter-ingest, balancing, capacity-market, chain-bridge and the chain, and whether replay heals it (docs/integrity.md).',
        response: { status: 200, description: 'checkedAt, the period range, unreachable services, drifts and heals started.' },
      },
      { method: 'put', path: '/prices/:periodId', summary: 'Sets the period’s imbalance (and energy) price (signed by MARKET_OPERATOR).', params: priceParams, headers: signedRequest, body: { schema: priceBody }, response: { status: 200, description: 'The prices recorded.' } },
      { method: 'post', path: '/schedules', summary: 'Records a schedule between two groups (signed by the BRP of `fromGroup`).', headers: signedRequest, body: { schema: scheduleBody }, response: { status: 200, description: 'The schedule and whether it changed anything.' } },
    ],
  });
}

if (require.main === module) writeApiDocument('balancing', balancingApiDocument());

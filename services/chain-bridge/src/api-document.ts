import { openApiDocument, writeApiDocument, type OpenApiDocument } from '@gridledger/service-kit';
import { paramsSchema as proofRequest } from './proofs/proofs.controller';
import { finalizationParams } from './status/finalization-status.controller';
import { commitParams } from './status/status.controller';

/** chain-bridge's HTTP API (served at /docs, written to docs/api/ by `npm run api-docs`). */
export function chainBridgeApiDocument(): OpenApiDocument {
  return openApiDocument({
    name: 'chain-bridge',
    description: 'What the bridge anchored on chain, what it refused, and a meter owner’s proof checked against the chain.',
    routes: [
      {
        method: 'get',
        path: '/proofs/:groupId/:periodId/:meterId',
        summary: 'A meter’s leaf and proof from balancing, the anchoring transaction and the contract’s own verification. Read session (Authorization: SIWE …) of the meter’s MPO or supplier, or the market operator.',
        params: proofRequest.pick({ groupId: true, periodId: true, meterId: true }),
        query: proofRequest.pick({ version: true }),
        response: { status: 200, description: 'The proof and where it is anchored.' },
      },
      { method: 'get', path: '/commits/:groupId/:periodId', summary: 'The versions of a group’s period the bridge committed, with their status.', params: commitParams, response: { status: 200, description: 'The commits.' } },
      { method: 'get', path: '/alarms', summary: 'Alarms (refused or conflicting commits), newest first. Read session of the market operator.', paged: true, response: { status: 200, description: 'A page of alarms.' } },
    ],
  });
}

/** The finalizer's HTTP API (CHAIN_MODE=finalizer). */
export function chainFinalizerApiDocument(): OpenApiDocument {
  return openApiDocument({
    name: 'chain-finalizer',
    description: 'The TSO’s finalizer: where each period’s finalization stands, and what it refused because the chain and balancing disagree.',
    routes: [
      {
        method: 'get',
        path: '/finalizations/:periodId',
        summary: 'A period’s finalization: waiting (for what), rejected (the first difference between chain and balancing), or finalized.',
        params: finalizationParams,
        response: { status: 200, description: 'The finalization.' },
      },
      { method: 'get', path: '/alarms', summary: 'Alarms (refused finalizations, role violations), newest first. Read session of the market operator.', paged: true, response: { status: 200, description: 'A page of alarms.' } },
    ],
  });
}

if (require.main === module) {
  writeApiDocument('chain-bridge', chainBridgeApiDocument());
  writeApiDocument('chain-finalizer', chainFinalizerApiDocument());
}

import { z } from 'zod';
import { periodIdString } from '@gridledger/events';
import { openApiDocument, writeApiDocument, type OpenApiDocument } from '@gridledger/service-kit';
import { issueBody, registerHolderBody, registerPlantBody, retireBody, transferBody } from './http/request-schemas';

/** Every write is an EIP-712 signed request (docs/trust.md); reads of holdings and statements need a SIWE session. */
const signedRequest = z.object({
  'x-gl-signer': z.string().openapi({ description: 'The signer’s address: the plant’s PLANT_OPERATOR (register, issue), the holder (transfer, retire, register itself) or the market operator.' }),
  'x-gl-nonce': z.string().openapi({ description: 'bytes32, used once per signer.' }),
  'x-gl-expiry': z.string().openapi({ description: 'Unix seconds, at most 15 minutes ahead.' }),
  'x-gl-signature': z.string().openapi({ description: 'EIP-712 SignedRequest { method, path (with query), bodySha256, nonce, expiry } in domain { gridledger, 2, chainId, RoleRegistry }.' }),
});
const readSession = z.object({ authorization: z.string().openapi({ description: 'SIWE <base64url message>.<signature> (docs/trust.md).' }) });

const shareResult = { status: 200, description: 'When it takes effect, the events it produced and the holders’ balances after it.' };

/** capacity-market's HTTP API (served at /docs, written to docs/api/ by `npm run api-docs`). */
export function capacityMarketApiDocument(): OpenApiDocument {
  return openApiDocument({
    name: 'capacity-market',
    description: 'Plants, capacity shares and their holders, and each holder’s statements.',
    routes: [
      { method: 'post', path: '/plants', summary: 'Registers a plant (signed by its PLANT_OPERATOR, named as `operator`, or the market operator).', headers: signedRequest, body: { schema: registerPlantBody }, response: { status: 201, description: 'The plant id.', schema: z.object({ plantId: z.string() }) } },
      { method: 'get', path: '/plants', summary: 'Every plant, by id.', paged: true, response: { status: 200, description: 'A page of plants.' } },
      { method: 'get', path: '/plants/:plantId', summary: 'One plant.', response: { status: 200, description: 'The plant.' } },
      { method: 'get', path: '/plants/:plantId/holdings', summary: 'The plant’s current holdings, by holder (a session of the plant’s PLANT_OPERATOR or the market operator).', headers: readSession, paged: true, response: { status: 200, description: 'A page of holdings.' } },
      { method: 'post', path: '/plants/:plantId/shares/issue', summary: 'Issues shares (W) of the plant to a holder (signed by the plant’s PLANT_OPERATOR).', headers: signedRequest, body: { schema: issueBody }, response: shareResult },
      { method: 'post', path: '/plants/:plantId/shares/transfer', summary: 'Transfers shares between holders (signed by `fromHolderId`).', headers: signedRequest, body: { schema: transferBody }, response: shareResult },
      { method: 'post', path: '/plants/:plantId/shares/retire', summary: 'Retires a holder’s shares (signed by the holder).', headers: signedRequest, body: { schema: retireBody }, response: shareResult },
      { method: 'post', path: '/holders', summary: 'Registers a holder: its holderId is its address (signed by that address, or the market operator).', headers: signedRequest, body: { schema: registerHolderBody }, response: { status: 201, description: 'The holder id.', schema: z.object({ holderId: z.string() }) } },
      { method: 'get', path: '/holders/:holderId', summary: 'A holder with its holdings (a session of the holder or the market operator).', headers: readSession, response: { status: 200, description: 'The holder.' } },
      {
        method: 'get',
        path: '/holders/:holderId/statement',
        summary: 'The holder’s statement for one period or one UTC month (give one of them; a session of the holder or the market operator).',
        headers: readSession,
        query: z.object({ period: periodIdString.optional(), month: z.string().optional().openapi({ description: 'A UTC month, YYYY-MM.' }) }),
        response: { status: 200, description: 'The statement.' },
      },
    ],
  });
}

if (require.main === module) writeApiDocument('capacity-market', capacityMarketApiDocument());

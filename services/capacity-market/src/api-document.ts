import { z } from 'zod';
import { periodIdString } from '@gridledger/events';
import { openApiDocument, writeApiDocument, type OpenApiDocument } from '@gridledger/service-kit';
import { issueBody, registerHolderBody, registerPlantBody, retireBody, transferBody } from './http/request-schemas';

const shareResult = { status: 200, description: 'When it takes effect, the events it produced and the holders’ balances after it.' };

/** capacity-market's HTTP API (served at /docs, written to docs/api/ by `npm run api-docs`). */
export function capacityMarketApiDocument(): OpenApiDocument {
  return openApiDocument({
    name: 'capacity-market',
    description: 'Plants, capacity shares and their holders, and each holder’s statements.',
    routes: [
      { method: 'post', path: '/plants', summary: 'Registers a plant.', body: { schema: registerPlantBody }, response: { status: 201, description: 'The plant id.', schema: z.object({ plantId: z.string() }) } },
      { method: 'get', path: '/plants', summary: 'Every plant, by id.', paged: true, response: { status: 200, description: 'A page of plants.' } },
      { method: 'get', path: '/plants/:plantId', summary: 'One plant.', response: { status: 200, description: 'The plant.' } },
      { method: 'get', path: '/plants/:plantId/holdings', summary: 'The plant’s current holdings, by holder.', paged: true, response: { status: 200, description: 'A page of holdings.' } },
      { method: 'post', path: '/plants/:plantId/shares/issue', summary: 'Issues shares (W) of the plant to a holder.', body: { schema: issueBody }, response: shareResult },
      { method: 'post', path: '/plants/:plantId/shares/transfer', summary: 'Transfers shares between holders.', body: { schema: transferBody }, response: shareResult },
      { method: 'post', path: '/plants/:plantId/shares/retire', summary: 'Retires a holder’s shares.', body: { schema: retireBody }, response: shareResult },
      { method: 'post', path: '/holders', summary: 'Registers a holder.', body: { schema: registerHolderBody }, response: { status: 201, description: 'The holder id.', schema: z.object({ holderId: z.string() }) } },
      { method: 'get', path: '/holders/:holderId', summary: 'A holder with its holdings.', response: { status: 200, description: 'The holder.' } },
      {
        method: 'get',
        path: '/holders/:holderId/statement',
        summary: 'The holder’s statement for one period or one UTC month (give one of them).',
        query: z.object({ period: periodIdString.optional(), month: z.string().optional().openapi({ description: 'A UTC month, YYYY-MM.' }) }),
        response: { status: 200, description: 'The statement.' },
      },
    ],
  });
}

if (require.main === module) writeApiDocument('capacity-market', capacityMarketApiDocument());

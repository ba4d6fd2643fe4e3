import { z } from 'zod';
import { intakeAnswerSchema, meterChangeBodySchema, meterPointIdString, meterRegistrationBodySchema, readingsBatchSchema } from '@gridledger/events';
import { openApiDocument, writeApiDocument, type OpenApiDocument } from '@gridledger/service-kit';
import { REPLAYED_HEADER } from './http/readings.controller';

// The intake and the registry parse their bodies by hand (libs/metering: signatures over the
// canonical bytes, per-entry refusals); the zod schemas in libs/events (meter.requests.ts)
// describe the same shapes for this document, and libs/metering's tests keep them in step.
const meterParams = z.object({ meterId: meterPointIdString });
/** Every write is an EIP-712 signed request (docs/trust.md); a batch's nonce is the SHA-256 of its body. */
const signedRequest = z.object({
  'x-gl-signer': z.string().openapi({ description: 'The signer’s address (DSO of the grid area or market operator for the registry; the MPO for batches).' }),
  'x-gl-nonce': z.string().openapi({ description: 'bytes32, used once per signer; for /readings and /mscons the SHA-256 of the body (= the batch id).' }),
  'x-gl-expiry': z.string().openapi({ description: 'Unix seconds, at most 15 minutes ahead.' }),
  'x-gl-signature': z.string().openapi({ description: 'EIP-712 SignedRequest { method, path (with query), bodySha256, nonce, expiry } in domain { gridledger, 2, chainId, RoleRegistry }.' }),
});
const intakeAnswer = {
  status: 200,
  description: `The batch is committed (rejected values are listed); header \`${REPLAYED_HEADER}: true\` when this batch was answered before.`,
  schema: intakeAnswerSchema.openapi('IntakeAnswer'),
};

/** meter-ingest's HTTP API (served at /docs, written to docs/api/ by `npm run api-docs`). */
export function meterIngestApiDocument(): OpenApiDocument {
  return openApiDocument({
    name: 'meter-ingest',
    description: 'Intake of signed meter values (JSON and EDIFACT MSCONS) and the meter point registry.',
    routes: [
      {
        method: 'post',
        path: '/readings',
        summary: 'A signed JSON batch of interval values or register readings.',
        headers: signedRequest,
        body: {
          schema: readingsBatchSchema.openapi('ReadingsBatch'),
          description: 'A request signed by `mpo` (the MPO role of each meter’s group); every number is a decimal string (a JSON number is refused); see docs/trust.md.',
        },
        response: intakeAnswer,
      },
      {
        method: 'post',
        path: '/mscons',
        summary: 'An EDIFACT MSCONS interchange, signed by the MPO.',
        headers: signedRequest,
        query: z.object({ periodLength: z.enum(['PT15M', 'PT60M']).optional().openapi({ description: 'Inside the signed path.' }) }),
        body: { contentType: 'text/plain', description: 'The interchange (UTF-8, or ISO 8859-1 when UNB declares UNOA–UNOD).' },
        response: intakeAnswer,
      },
      { method: 'post', path: '/meters', summary: 'Registers meter points in a batch (`{ meters: [...] }`, at most 100 000).', headers: signedRequest, body: { schema: meterRegistrationBodySchema.openapi('MeterRegistration'), description: 'Signed by the DSO of each meter’s grid area or the market operator.' }, response: { status: 201, description: 'How many were registered and how many were unchanged.', schema: z.object({ registered: z.number().int(), unchanged: z.number().int() }) } },
      { method: 'get', path: '/meters/:meterId', summary: 'A meter point with its versions.', params: meterParams, response: { status: 200, description: 'The meter point.' } },
      { method: 'patch', path: '/meters/:meterId', summary: 'Changes a meter point from a period boundary on.', params: meterParams, headers: signedRequest, body: { schema: meterChangeBodySchema.openapi('MeterChange'), description: 'The change, from the period boundary `effectiveFrom` on. Reaching back over accepted values only as the DSO\'s correction (`correction: true`): 409 SETTLED_PERIODS without it, 403 CORRECTION_NOT_PERMITTED for anyone but the DSO.' }, response: { status: 200, description: 'The new version.' } },
      {
        method: 'delete',
        path: '/meters/:meterId',
        summary: 'Retires a meter point at a period boundary (body `{ effectiveAt }` or `?effectiveAt=`; signed by the DSO or the market operator).',
        params: meterParams,
        query: z.object({ effectiveAt: z.string().optional() }),
        headers: signedRequest,
        response: { status: 200, description: 'The last version, with validTo set.' },
      },
    ],
  });
}

if (require.main === module) writeApiDocument('meter-ingest', meterIngestApiDocument());

import { z } from 'zod';
import { intakeAnswerSchema, meterChangeBodySchema, meterPointIdString, meterRegistrationBodySchema, readingsBatchSchema } from '@gridledger/events';
import { openApiDocument, writeApiDocument, type OpenApiDocument } from '@gridledger/service-kit';
import { REPLAYED_HEADER } from './http/readings.controller';

// The intake and the registry parse their bodies by hand (libs/metering: signatures over the
// canonical bytes, per-entry refusals); the zod schemas in libs/events (meter.requests.ts)
// describe the same shapes for this document, and libs/metering's tests keep them in step.
const meterParams = z.object({ meterId: meterPointIdString });
const operatorAuth = z.object({ authorization: z.string().optional().openapi({ description: '`Bearer <METER_INGEST_OPERATOR_TOKEN>`; without it the body carries `mpo` and an EIP-712 `signature` (format `registry-json`).' }) });
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
        body: {
          schema: readingsBatchSchema.openapi('ReadingsBatch'),
          description: 'Signed with EIP-712 (format `readings-json`) over the SHA-256 of the canonical JSON; every number is a decimal string (a JSON number is refused); see services/meter-ingest/README.md.',
        },
        response: intakeAnswer,
      },
      {
        method: 'post',
        path: '/mscons',
        summary: 'An EDIFACT MSCONS interchange, signed by the MPO.',
        headers: z.object({
          'x-mpo-address': z.string().openapi({ description: 'The MPO’s address.' }),
          'x-mpo-signature': z.string().openapi({ description: 'EIP-712 signature (format `mscons`) over the SHA-256 of the body bytes.' }),
          'x-period-length': z.enum(['PT15M', 'PT60M']).optional(),
        }),
        body: { contentType: 'text/plain', description: 'The interchange (UTF-8, or ISO 8859-1 when UNB declares UNOA–UNOD).' },
        response: intakeAnswer,
      },
      { method: 'post', path: '/meters', summary: 'Registers meter points in a batch (`{ meters: [...] }`, at most 100 000).', headers: operatorAuth, body: { schema: meterRegistrationBodySchema.openapi('MeterRegistration'), description: '`mpo` and `signature` (EIP-712, format `registry-json`) when not sent with the operator token.' }, response: { status: 201, description: 'How many were registered and how many were unchanged.', schema: z.object({ registered: z.number().int(), unchanged: z.number().int() }) } },
      { method: 'get', path: '/meters/:meterId', summary: 'A meter point with its versions.', params: meterParams, response: { status: 200, description: 'The meter point.' } },
      { method: 'patch', path: '/meters/:meterId', summary: 'Changes a meter point from a period boundary on.', params: meterParams, headers: operatorAuth, body: { schema: meterChangeBodySchema.openapi('MeterChange'), description: 'The change, from the period boundary `effectiveFrom` on.' }, response: { status: 200, description: 'The new version.' } },
      {
        method: 'delete',
        path: '/meters/:meterId',
        summary: 'Retires a meter point at a period boundary (body `{ effectiveAt }` with `mpo` and `signature` unless the operator token is sent, or `?effectiveAt=`).',
        params: meterParams,
        query: z.object({ effectiveAt: z.string().optional() }),
        headers: operatorAuth,
        response: { status: 200, description: 'The last version, with validTo set.' },
      },
    ],
  });
}

if (require.main === module) writeApiDocument('meter-ingest', meterIngestApiDocument());

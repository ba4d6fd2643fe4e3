import { meterPointRegistrationSchema, readingsBatchSchema } from '@gridledger/events';
import { BatchFormatError, parseReadingBatch, parseRegisterCommand } from '@gridledger/metering';

// The API documents type meter-ingest's bodies with zod schemas (libs/events,
// meter.requests.ts) while the intake parses them by hand: both must take the same batches and
// refuse the same ones. A value the intake refuses on its own (listed in the answer, the rest
// accepted) is one the schema does not describe as valid either.

const MPO = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const DSO = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const PERIOD = '2026-11-24T12:00:00Z';
const interval = { meterId: 'DE000000001-C', periodId: PERIOD, energyWh: '120', quality: 'measured' };
const batch = { mpo: MPO, periodLength: 'PT15M', batchRef: 'head-end 7', intervals: [interval] };
const readings = { mpo: MPO, readings: [{ meterId: 'DE000000001-C', readAt: '2026-11-24T12:15:00+01:00', registerWh: '5000', meterExchange: false }] };

/** What the intake makes of a body: refused whole, refused in part (entries listed), or taken. */
function intakeVerdict(body: unknown): 'refused' | 'entries refused' | 'taken' {
  try {
    return parseReadingBatch(body).rejections.length > 0 ? 'entries refused' : 'taken';
  } catch (error) {
    if (error instanceof BatchFormatError) return 'refused';
    throw error;
  }
}

describe('readings batch schema and the intake', () => {
  it.each([
    ['interval values', batch],
    ['register readings', readings],
    ['no periodLength or batchRef', { mpo: MPO, intervals: [{ meterId: 'M-1', periodId: PERIOD, energyWh: '0' }] }],
  ])('both take %s', (_what, body) => {
    expect(intakeVerdict(body)).toBe('taken');
    expect(readingsBatchSchema.safeParse(body).success).toBe(true);
  });

  it.each([
    ['an unknown field', { ...batch, extra: 1 }],
    ['a signature in the body (it travels in the headers)', { ...batch, signature: '0x12' }],
    ['intervals and readings together', { ...batch, readings: readings.readings }],
    ['neither intervals nor readings', { mpo: MPO }],
    ['an empty list', { ...batch, intervals: [] }],
    ['a period length of 30 minutes', { ...batch, periodLength: 'PT30M' }],
    ['an MPO that is no address', { ...batch, mpo: '0x1234' }],
    ['a batchRef with a line break', { ...batch, batchRef: 'a\nb' }],
  ])('both refuse %s', (_what, body) => {
    expect(intakeVerdict(body)).toBe('refused');
    expect(readingsBatchSchema.safeParse(body).success).toBe(false);
  });

  it.each([
    ['energy as a JSON number', { ...interval, energyWh: 120 }],
    ['negative energy', { ...interval, energyWh: '-5' }],
    ['a period off its boundary', { ...interval, periodId: '2026-11-24T12:05:00Z' }],
    ['an unknown quality', { ...interval, quality: 'guessed' }],
    ['an unknown entry field', { ...interval, unit: 'kWh' }],
  ])('an entry with %s: refused alone by the intake, invalid for the schema', (_what, entry) => {
    const body = { ...batch, intervals: [entry] };
    expect(intakeVerdict(body)).toBe('entries refused');
    expect(readingsBatchSchema.safeParse(body).success).toBe(false);
  });
});

describe('meter point registration schema and the registry', () => {
  const point = { meterId: 'DE000000001-C', direction: 'consumption', mpo: MPO, dso: DSO, gridArea: 'GA-01', groupId: 'BG-01', supplier: 'Stadtwerke Demo', connectionLimitW: '30000', validFrom: PERIOD };
  const registryTakes = (entry: unknown): boolean => {
    try {
      parseRegisterCommand(entry, 'meters[0]');
      return true;
    } catch {
      return false;
    }
  };

  it.each([
    ['a full meter point', point],
    ['no supplier', { ...point, supplier: undefined }],
    ['a null supplier', { ...point, supplier: null }],
  ])('both take %s', (_what, entry) => {
    const json = JSON.parse(JSON.stringify(entry)) as unknown;
    expect(registryTakes(json)).toBe(true);
    expect(meterPointRegistrationSchema.safeParse(json).success).toBe(true);
  });

  it.each([
    ['a limit as a JSON number', { ...point, connectionLimitW: 30000 }],
    ['a zero limit', { ...point, connectionLimitW: '0' }],
    ['validFrom off a quarter hour', { ...point, validFrom: '2026-11-24T12:07:00Z' }],
    ['an unknown direction', { ...point, direction: 'both' }],
    ['an unknown field', { ...point, tariff: 'x' }],
    ['no grid area', { ...point, gridArea: undefined }],
  ])('both refuse %s', (_what, entry) => {
    expect(registryTakes(entry)).toBe(false);
    expect(meterPointRegistrationSchema.safeParse(entry).success).toBe(false);
  });
});

import { z } from 'zod';
import { defineEvent } from '@gridledger/events';
import { decodeEvent } from '../src/decode';
import type { AnyEventDefinition } from '../src/messaging-client';

const ThingCounted = defineEvent({ type: 'meter.thing.counted', schemaVersion: 1, domain: 'meter', entity: 'thing', pastTense: 'counted', keyed: false, schema: z.object({ wh: z.string().regex(/^\d+$/, 'must be integer Wh') }) });
const accepted = new Map<string, AnyEventDefinition>([[ThingCounted.type, ThingCounted]]);
const bytes = (text: string) => new TextEncoder().encode(text);
const valid = ThingCounted.create({ idParts: ['a'], occurredAt: '2026-03-29T01:00:00Z', data: { wh: '12' } });

describe('decodeEvent', () => {
  it('returns the validated envelope and its definition', () => {
    const result = decodeEvent(bytes(JSON.stringify(valid)), accepted);
    expect(result).toEqual({ ok: true, envelope: valid, definition: ThingCounted });
  });
  it.each([
    ['{oops', /^not JSON/],
    ['[1,2]', /^not a JSON object$/],
    ['{"id":"x"}', /^type: missing or not a string$/],
    [JSON.stringify({ ...valid, type: 'meter.other.counted' }), /^type: "meter.other.counted" is not accepted by this consumer$/],
    [JSON.stringify({ ...valid, data: { wh: '1.5' } }), /^invalid meter.thing.counted: data.wh: must be integer Wh$/],
  ])('names the reason for %s', (text, reason) => {
    const result = decodeEvent(bytes(text), accepted);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(reason);
  });
  it('rejects bytes that are not UTF-8', () => {
    const result = decodeEvent(new Uint8Array([0xff, 0xfe, 0x7b]), accepted);
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^not JSON/) });
  });
});

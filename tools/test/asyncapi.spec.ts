import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { asyncApiYaml, eventCatalogue } from '../src/api-docs/asyncapi';

// docs/api/asyncapi.yaml is generated from libs/events: it is a valid AsyncAPI 3 document,
// names every event the sources define, and is what a fresh generation writes (never stale).

const ROOT = resolve(__dirname, '..', '..');
const committed = readFileSync(join(ROOT, 'docs', 'api', 'asyncapi.yaml'), 'utf8');

/** Event types read from the sources (`type: '…'` inside defineEvent), independent of the generator's walk. */
function eventTypesInSources(): string[] {
  const dir = join(ROOT, 'libs', 'events', 'src');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.events.ts'))
    .flatMap((file) => [...readFileSync(join(dir, file), 'utf8').matchAll(/defineEvent\(\{\s*type: '([a-z0-9.-]+)'/g)].map((m) => m[1]))
    .sort();
}

describe('AsyncAPI document (docs/api/asyncapi.yaml)', () => {
  it('is a valid AsyncAPI 3.0 document', async () => {
    const { document, diagnostics } = await new Parser().parse(committed);
    const errors = diagnostics.filter((d) => d.severity === 0);
    expect(errors.map((e) => `${e.path.join('.')}: ${e.message}`)).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
  });

  it('has one message per event type of the catalogue, with its subject as channel address', async () => {
    const { document } = await new Parser().parse(committed);
    const messages = document!.allMessages().all().map((m) => m.name()).sort();
    const inSources = eventTypesInSources();
    expect(inSources.length).toBeGreaterThan(10);
    expect(eventCatalogue().map((d) => d.type)).toEqual(inSources);
    // Every event, plus the request/replies: chain-bridge → balancing proofs, head-ends → meter-ingest batches.
    expect(messages).toEqual([...inSources, 'balancing.proof.requested', 'balancing.proof.requested reply', 'meter.readings.submit', 'meter.readings.submit reply'].sort());
    const addresses = document!.allChannels().all().map((c) => c.address());
    expect(addresses).toContain('balancing.period.settled.{group}');
    expect(addresses).toContain('platform.message.deadlettered.{stream}');
    expect(addresses).toContain('market.prices.published');
    expect(addresses).toContain('rpc.balancing.proof.requested');
    expect(addresses).toContain('rpc.meter.readings.submit');
  });

  it('documents the envelope and the headers on every message', async () => {
    const { document } = await new Parser().parse(committed);
    const events = new Set(eventTypesInSources());
    for (const message of document!.allMessages().all().filter((m) => events.has(m.name()!))) {
      const payload = message.payload()!;
      expect(Object.keys(payload.properties() ?? {}).sort()).toEqual(['causationId', 'correlationId', 'data', 'id', 'occurredAt', 'schemaVersion', 'type']);
      expect(payload.properties()!.type.enum()).toEqual([message.name()]);
      expect(Object.keys(message.headers()!.properties() ?? {})).toEqual(expect.arrayContaining(['Nats-Msg-Id', 'traceparent']));
    }
  });

  it('documents the proof request/reply with its reply channel', async () => {
    const { document } = await new Parser().parse(committed);
    const operation = document!.operations().all().find((o) => o.id() === 'answerBalancingProof')!;
    expect(operation.action()).toBe('receive');
    expect(operation.reply()?.messages().all().map((m) => m.name())).toEqual(['balancing.proof.requested reply']);
    expect(Object.keys(operation.messages().all()[0].payload()!.properties() ?? {})).toEqual(['groupId', 'periodId', 'meterId', 'version', 'reader']);
  });

  it('documents meter.readings.submit: the readings batch in, the intake answer back', async () => {
    const { document } = await new Parser().parse(committed);
    const operation = document!.operations().all().find((o) => o.id() === 'answerReadingsSubmit')!;
    expect(operation.action()).toBe('receive');
    expect(operation.channels().all().map((c) => c.address())).toEqual(['rpc.meter.readings.submit']);
    expect(operation.reply()?.messages().all().map((m) => m.name())).toEqual(['meter.readings.submit reply']);
    expect(Object.keys(operation.messages().all()[0].payload()!.properties() ?? {})).toEqual(['mpo', 'periodLength', 'batchRef', 'intervals', 'readings']);
  });

  it('equals a fresh generation (run `npm run api-docs` after changing an event)', () => {
    expect(committed).toBe(asyncApiYaml());
  });
});

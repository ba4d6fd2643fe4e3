import { authorizationTable } from '@gridledger/testing';
import { eventCatalogue } from '../src/api-docs/asyncapi';

describe('docs/authorization.md, events', () => {
  const rows = authorizationTable('Events');

  it('has one row per event subject of libs/events, and no other', () => {
    expect(rows.map(([subject]) => subject).sort()).toEqual(eventCatalogue().map((definition) => definition.subjectFilter).sort());
  });

  it('names one publisher per subject (the service owning the event file) and who consumes it', () => {
    for (const [subject, publisher, consumers] of rows) {
      expect([subject, publisher.length > 0, (consumers ?? '').length > 0]).toEqual([subject, true, true]);
    }
  });
});

import { Injectable, OnModuleInit } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { CapacitySharesRecorded } from '@gridledger/events';
import { STREAMS, readStreamSubject, type MessagingClient } from '@gridledger/messaging';
import { InjectConfig, InjectDataSource, InjectLogger, InjectMessaging } from '@gridledger/service-kit';
import type { JsonLogger } from '@gridledger/telemetry';
import type { CapacityMarketConfig } from '../config';
import { insertRecords, type SharesRecord } from '../persistence/event-store';
import { rebuildShareProjections } from '../persistence/shares-projection.repository';
import { adoptAllocationHistory } from './allocation-history.adoption';

/**
 * On an empty database (a dropped one, or a new replica set), the share registry comes back
 * from the CAPACITY stream: every `capacity.shares.recorded` event is a copy of one event of
 * the store, at its stream version. This runs in module init, so before the ingest consumers,
 * the period worker and HTTP start: meter values are matched against the rebuilt plants and
 * holders, and a command decides on the rebuilt history. Then, on the rebuilt registry, the
 * allocation versions are adopted from the same stream (`adoptAllocationHistory`), so that a
 * history made by corrections over time comes back version for version.
 */
@Injectable()
export class ShareRegistryRebuild implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectMessaging() private readonly messaging: MessagingClient,
    @InjectLogger() private readonly logger: JsonLogger,
    @InjectConfig() private readonly config: CapacityMarketConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const rebuilt = await this.db.transaction(async (em) => {
      // Replicas starting together: one rebuilds, the others find the store filled.
      await em.query(`SELECT pg_advisory_xact_lock(hashtext('capacity_market.events'), 0)`);
      const [any] = (await em.query(`SELECT 1 FROM events LIMIT 1`)) as unknown[];
      if (any !== undefined) return undefined;
      const records = await this.readRecords();
      if (records.length === 0) return undefined;
      await insertRecords(em, records);
      return { events: records.length, ...(await rebuildShareProjections(em)) };
    });
    if (rebuilt) this.logger.log(`share registry rebuilt from the CAPACITY stream: ${JSON.stringify(rebuilt)}`, 'ShareRegistryRebuild');
    // In this hook, not a provider of its own: Nest runs providers' init hooks concurrently, and this needs the registry.
    const adopted = await this.db.transaction((em) => adoptAllocationHistory(em, this.messaging, this.config.CAPACITY_GRACE_MS));
    if (adopted) this.logger.log(`allocation history adopted from the CAPACITY stream: ${JSON.stringify(adopted)}`, 'ShareRegistryRebuild');
  }

  /** Every record the stream holds, once each, checked to be gapless per store stream, in store order. */
  private async readRecords(): Promise<SharesRecord[]> {
    const byKey = new Map<string, { record: SharesRecord; text: string }>();
    await readStreamSubject(this.messaging, STREAMS.CAPACITY.name, CapacitySharesRecorded.subject(), (msg) => {
      const { data } = CapacitySharesRecorded.parse(msg.json());
      const key = `${data.streamId}\u0000${data.streamVersion}`;
      const text = JSON.stringify(data);
      const seen = byKey.get(key);
      // The same event published twice (an outbox re-send beyond the duplicate window) is one event.
      if (seen && seen.text !== text) throw new Error(`the CAPACITY stream holds two different events at ${data.streamId} version ${data.streamVersion}`);
      byKey.set(key, { record: data, text });
    });
    const records = [...byKey.values()].map((entry) => entry.record);
    records.sort((a, b) => (a.streamId === b.streamId ? a.streamVersion - b.streamVersion : a.streamId < b.streamId ? -1 : 1));
    records.forEach((record, i) => {
      const expected = i > 0 && records[i - 1].streamId === record.streamId ? records[i - 1].streamVersion + 1 : 1;
      // A gap means the stream lost an event (or retention dropped it): refuse to start rather than rebuild a wrong registry.
      if (record.streamVersion !== expected) throw new Error(`the CAPACITY stream misses ${record.streamId} version ${expected} (next found: ${record.streamVersion}); restore the registry from a backup or an outbox replay`);
    });
    return records;
  }
}

import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { foldEvents } from '@gridledger/domain';
import {
  CapacityErrorCode,
  Holder,
  Plant,
  PlantSharesCommand,
  PlantSharesEvent,
  capacityError,
  decodeHolderEvent,
  holderDecider,
  holderNotRegistered,
  holdersNamedBy,
  plantNotRegistered,
  plantSharesDecider,
} from '@gridledger/capacity';
import { InjectDataSource } from '@gridledger/service-kit';
import { appendEvents, existingStreams, holderStreamId, loadStreamForUpdate, plantStreamId } from '../persistence/event-store';
import { loadPlantForUpdate, savePlantSnapshot } from '../persistence/plant-snapshot';
import { projectHolder, projectPlant } from '../persistence/shares-projection.repository';

type WithoutAt<T> = T extends unknown ? Omit<T, 'at'> : never;
/** A share command as a caller gives it; the service sets its effective instant. */
export type ShareCommand = WithoutAt<Exclude<PlantSharesCommand, { type: 'RegisterPlant' }>>;

export interface ShareCommandResult {
  readonly events: readonly PlantSharesEvent[];
  /** Balances after the command of the holders it named. */
  readonly balances: ReadonlyArray<readonly [string, bigint]>;
  readonly effectiveAt: string;
}

const UNIQUE_VIOLATION = '23505';

/**
 * Runs the plant-shares and holder deciders on the event store. Each command, in one
 * transaction: lock the aggregate's stream, load its state (a plant's from its snapshot at the
 * stream's last version, else by folding its events), decide, append the new events after the
 * version read, and apply them to the `plants`/`holders`/`holdings` projections and the
 * snapshot. Concurrent transfers of one plant serialize on its stream, so no overdraft or
 * double-spend; nothing is read back from the projections to decide.
 */
@Injectable()
export class SharesService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async registerPlant(plant: Plant, now: Date): Promise<readonly PlantSharesEvent[]> {
    const command: PlantSharesCommand = { type: 'RegisterPlant', plant, at: now.toISOString() };
    try {
      return await this.db.transaction(async (em) => (await this.runPlantCommand(em, plant.plantId, command)).events);
    } catch (error) {
      // The meter is unique across plants: a set rule the plants projection's constraint keeps.
      throw duplicateAs(error, () => capacityError(CapacityErrorCode.PlantAlreadyRegistered, 'plantId', `plant ${plant.plantId} or its meter ${plant.meterId} is already registered`));
    }
  }

  async registerHolder(holder: Holder, now: Date): Promise<void> {
    const streamId = holderStreamId(holder.holderId);
    try {
      await this.db.transaction(async (em) => {
        const stream = await loadStreamForUpdate(em, streamId, decodeHolderEvent);
        const state = foldEvents(holderDecider, stream.events);
        const events = holderDecider.decide({ type: 'RegisterHolder', holder, at: now.toISOString() }, state);
        await appendEvents(em, streamId, stream.version, events);
        await projectHolder(em, [...stream.events, ...events]);
      });
    } catch (error) {
      throw duplicateAs(error, () => capacityError(CapacityErrorCode.HolderAlreadyRegistered, 'holderId', `holder ${holder.holderId} or its meter ${holder.consumptionMeterId} is already registered`));
    }
  }

  async execute(command: ShareCommand, now: Date): Promise<ShareCommandResult> {
    return this.db.transaction(async (em) => {
      const { events, changes } = await this.runPlantCommand(em, command.plantId, { ...command, at: now.toISOString() } as PlantSharesCommand, () =>
        requireHolders(em, command.type === 'IssueShares' ? [command.holderId] : command.type === 'TransferShares' ? [command.toHolderId] : []),
      );
      const balances = new Map(changes.flatMap((change) => change.balances));
      return { events, balances: [...balances.entries()], effectiveAt: events[0].at };
    });
  }

  /**
   * Load (from the plant's snapshot: its totals and the named holders' balances), check (the
   * holders a command names live in other streams), decide, append, project, snapshot.
   */
  private async runPlantCommand(em: EntityManager, plantId: string, command: PlantSharesCommand, check?: () => Promise<void>) {
    const streamId = plantStreamId(plantId);
    const loaded = await loadPlantForUpdate(em, streamId, holdersNamedBy(command));
    if (command.type !== 'RegisterPlant' && loaded.state.status !== 'registered') throw plantNotRegistered(plantId);
    await check?.();
    const events = plantSharesDecider.decide(command, loaded.state);
    const version = await appendEvents(em, streamId, loaded.version, events);
    const { state, changes } = await projectPlant(em, loaded.state, events, version);
    await savePlantSnapshot(em, streamId, version, state, changes.flatMap((change) => change.balances), loaded.folded);
    return { events, changes };
  }
}

async function requireHolders(em: EntityManager, holderIds: readonly string[]): Promise<void> {
  if (holderIds.length === 0) return;
  const found = await existingStreams(em, holderIds.map(holderStreamId));
  const missing = holderIds.find((holderId) => !found.has(holderStreamId(holderId)));
  if (missing !== undefined) throw holderNotRegistered(missing);
}

function duplicateAs(error: unknown, make: () => Error): unknown {
  const code = (error as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (error as { code?: string }).code;
  return code === UNIQUE_VIOLATION ? make() : error;
}

import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import {
  CapacityError,
  CapacityErrorCode,
  Holder,
  Plant,
  PlantSharesCommand,
  PlantSharesEvent,
  PlantSharesState,
  balanceChanges,
  decideHolder,
  decidePlantShares,
  evolvePlantShares,
  initialHolderState,
  initialPlantSharesState,
} from '@gridledger/capacity';
import { InjectDataSource } from '@gridledger/service-kit';
import { PlantColumns, plantFromRow } from '../persistence/plant-row';
import { appendEvents } from './event-store';

interface PlantRow extends PlantColumns {
  issued_w: string;
  stream_version: number;
  last_change_at: Date;
}

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
 * Runs the plant-shares and holder deciders against Postgres. Every share command of a plant
 * takes that plant's row lock first (SELECT … FOR UPDATE), reads the named holders' current
 * balances under it, decides, appends the events and moves the holdings rows, all in one
 * transaction: concurrent transfers of one plant serialize, so no overdraft or double-spend.
 */
@Injectable()
export class SharesService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async registerPlant(plant: Plant, now: Date): Promise<PlantSharesEvent[]> {
    const at = now.toISOString();
    const events = decidePlantShares({ type: 'RegisterPlant', plant, at }, initialPlantSharesState());
    try {
      await this.db.transaction(async (em) => {
        await em.query(
          `INSERT INTO plants (plant_id, kind, meter_id, capacity_w, operator, group_id, fee_per_mw_period_cents, issued_w, stream_version, last_change_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 1, $8)`,
          [plant.plantId, plant.kind, plant.meterId, plant.capacityW.toString(), plant.operator, plant.groupId, plant.feePerMWPeriodCents.toString(), at],
        );
        await appendEvents(em, `plant:${plant.plantId}`, 0, events);
      });
    } catch (error) {
      throw duplicateAs(error, () => new CapacityError(CapacityErrorCode.PlantAlreadyRegistered, 'plantId', `plant ${plant.plantId} or its meter ${plant.meterId} is already registered`));
    }
    return events;
  }

  async registerHolder(holder: Holder, now: Date): Promise<void> {
    const at = now.toISOString();
    const events = decideHolder({ type: 'RegisterHolder', holder, at }, initialHolderState());
    try {
      await this.db.transaction(async (em) => {
        await em.query(`INSERT INTO holders (holder_id, consumption_meter_id, group_id, registered_at) VALUES ($1, $2, $3, $4)`, [
          holder.holderId,
          holder.consumptionMeterId,
          holder.groupId,
          at,
        ]);
        await appendEvents(em, `holder:${holder.holderId}`, 0, events);
      });
    } catch (error) {
      throw duplicateAs(error, () => new CapacityError(CapacityErrorCode.HolderAlreadyRegistered, 'holderId', `holder ${holder.holderId} or its meter ${holder.consumptionMeterId} is already registered`));
    }
  }

  async execute(command: ShareCommand, now: Date): Promise<ShareCommandResult> {
    return this.db.transaction(async (em) => {
      const rows: PlantRow[] = await em.query(`SELECT * FROM plants WHERE plant_id = $1 FOR UPDATE`, [command.plantId]);
      if (rows.length === 0) throw new CapacityError(CapacityErrorCode.PlantNotRegistered, 'plantId', `plant ${command.plantId} is not registered`);
      const row = rows[0];
      const named = namedHolders(command);
      await requireHolders(em, command.type === 'IssueShares' ? [command.holderId] : command.type === 'TransferShares' ? [command.toHolderId] : []);
      const balanceRows: { holder_id: string; shares_w: string }[] = await em.query(
        `SELECT holder_id, shares_w FROM holdings WHERE plant_id = $1 AND holder_id = ANY($2::text[]) AND valid_to IS NULL`,
        [command.plantId, named],
      );
      let state: PlantSharesState = {
        status: 'registered',
        plant: plantFromRow(row),
        issuedW: BigInt(row.issued_w),
        balances: new Map(balanceRows.map((b) => [b.holder_id, BigInt(b.shares_w)])),
      };
      // Changes of one plant are strictly ordered in time, even if clocks step back.
      const at = new Date(Math.max(now.getTime(), row.last_change_at.getTime())).toISOString();
      const events = decidePlantShares({ ...command, at } as PlantSharesCommand, state);
      const latest = new Map<string, bigint>();
      for (const event of events) {
        for (const [holderId, balance] of balanceChanges(state, event)) latest.set(holderId, balance);
        state = evolvePlantShares(state, event);
      }
      const version = await appendEvents(em, `plant:${command.plantId}`, row.stream_version, events);
      await moveHoldings(em, command.plantId, latest, at);
      if (state.status !== 'registered') throw new Error('plant state lost its registration');
      await em.query(`UPDATE plants SET issued_w = $2, stream_version = $3, last_change_at = $4 WHERE plant_id = $1`, [
        command.plantId,
        state.issuedW.toString(),
        version,
        at,
      ]);
      return { events, balances: [...latest.entries()], effectiveAt: at };
    });
  }
}

function namedHolders(command: ShareCommand): string[] {
  switch (command.type) {
    case 'IssueShares':
    case 'RetireShares':
      return [command.holderId];
    case 'TransferShares':
      return [command.fromHolderId, command.toHolderId];
    default: {
      const unknown: never = command;
      throw new Error(`unknown command ${JSON.stringify(unknown)}`);
    }
  }
}

async function requireHolders(em: EntityManager, holderIds: readonly string[]): Promise<void> {
  if (holderIds.length === 0) return;
  const found: { holder_id: string }[] = await em.query(`SELECT holder_id FROM holders WHERE holder_id = ANY($1::text[])`, [holderIds]);
  const missing = holderIds.filter((id) => !found.some((f) => f.holder_id === id));
  if (missing.length > 0) throw new CapacityError(CapacityErrorCode.HolderNotRegistered, 'holderId', `holder ${missing[0]} is not registered`);
}

/** Closes the open row of each changed holder at `at` and opens one with the new balance. */
async function moveHoldings(em: EntityManager, plantId: string, balances: ReadonlyMap<string, bigint>, at: string): Promise<void> {
  const holderIds = [...balances.keys()];
  await em.query(`UPDATE holdings SET valid_to = $3 WHERE plant_id = $1 AND holder_id = ANY($2::text[]) AND valid_to IS NULL`, [plantId, holderIds, at]);
  const opened = [...balances.entries()].filter(([, shares]) => shares > 0n);
  if (opened.length === 0) return;
  await em.query(
    `INSERT INTO holdings (plant_id, holder_id, shares_w, valid_from) SELECT $1, h, s::bigint, $4 FROM unnest($2::text[], $3::text[]) AS x(h, s)`,
    [plantId, opened.map(([holderId]) => holderId), opened.map(([, shares]) => shares.toString()), at],
  );
}

function duplicateAs(error: unknown, make: () => CapacityError): unknown {
  const code = (error as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (error as { code?: string }).code;
  return code === UNIQUE_VIOLATION ? make() : error;
}

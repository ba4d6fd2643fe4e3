import { Wallet, keccak256, toUtf8Bytes } from 'ethers';
import type { Direction } from '@gridledger/domain';
import { seededRandom } from '@gridledger/testing';

/**
 * The simulated market of the demo: balancing groups, two meter point operators, households,
 * PV prosumers, and two renewable plants whose capacity is sold in shares to households.
 * Deterministic for a given seed, so two runs with the same options produce the same books.
 */
export interface PopulationOptions {
  readonly meters: number;
  readonly groups: number;
  readonly seed: string;
}

export type MeterProfile = 'household' | 'pv-roof' | 'pv-plant' | 'wind-plant';

export interface SimMeter {
  readonly meterId: string;
  readonly direction: Direction;
  readonly profile: MeterProfile;
  readonly groupId: string;
  /** Index into `mpos`: whose head-end reads this meter. */
  readonly mpo: number;
  readonly connectionLimitW: bigint;
  /** Scale of the profile: annual kWh for households, peak W for producers. */
  readonly size: number;
}

export interface SimPlant {
  readonly plantId: string;
  readonly kind: 'wind' | 'pv';
  readonly meterId: string;
  readonly groupId: string;
  readonly capacityW: bigint;
}

export interface SimHolding {
  /** The holder's address (a holder is the address that holds the shares, docs/trust.md). */
  readonly holderId: string;
  /** The holder's key: it registers itself with capacity-market. */
  readonly holder: Wallet;
  readonly meterId: string;
  readonly groupId: string;
  readonly plantId: string;
  readonly sharesW: bigint;
}

export interface Population {
  readonly groups: readonly string[];
  readonly mpos: readonly Wallet[];
  readonly dso: Wallet;
  /** Operates every plant (PLANT_OPERATOR of each): registers them and issues their shares. */
  readonly plantOperator: Wallet;
  readonly meters: readonly SimMeter[];
  readonly plants: readonly SimPlant[];
  readonly holdings: readonly SimHolding[];
}

export function walletFor(seed: string, name: string): Wallet {
  return new Wallet(keccak256(toUtf8Bytes(`${seed}/${name}`)));
}

export function buildPopulation(options: PopulationOptions): Population {
  if (options.meters < 10) throw new RangeError('--meters must be at least 10');
  if (options.groups < 1 || options.groups > 50) throw new RangeError('--groups must be between 1 and 50');
  const random = seededRandom(options.seed);
  const groups = Array.from({ length: options.groups }, (_, i) => `BG-${String(i + 1).padStart(2, '0')}`);
  const mpos = [walletFor(options.seed, 'mpo-1'), walletFor(options.seed, 'mpo-2')];
  const meters: SimMeter[] = [];
  // Plants sized to the market, so they matter without swamping it.
  const plants: SimPlant[] = [
    { plantId: 'WIND-1', kind: 'wind', meterId: 'PLANT-WIND-1', groupId: groups[0], capacityW: BigInt(Math.max(50_000, options.meters * 300)) },
    { plantId: 'PV-1', kind: 'pv', meterId: 'PLANT-PV-1', groupId: groups[groups.length - 1], capacityW: BigInt(Math.max(20_000, options.meters * 200)) },
  ];
  for (const plant of plants) {
    meters.push({
      meterId: plant.meterId,
      direction: 'production',
      profile: plant.kind === 'wind' ? 'wind-plant' : 'pv-plant',
      groupId: plant.groupId,
      mpo: 0,
      connectionLimitW: plant.capacityW,
      size: Number(plant.capacityW),
    });
  }
  const remaining = options.meters - meters.length;
  for (let i = 0; meters.length < options.meters; i += 1) {
    const groupId = groups[i % groups.length];
    const mpo = i % 2;
    const isProsumer = random() < 0.2 && meters.length + 1 < options.meters;
    const id = `DE${String(i + 1).padStart(9, '0')}`;
    meters.push({ meterId: `${id}-C`, direction: 'consumption', profile: 'household', groupId, mpo, connectionLimitW: 30_000n, size: 2500 + Math.floor(random() * 3000) });
    if (isProsumer) {
      meters.push({ meterId: `${id}-P`, direction: 'production', profile: 'pv-roof', groupId, mpo, connectionLimitW: 10_000n, size: 4000 + Math.floor(random() * 6000) });
    }
  }
  // One household in five holds capacity shares: of the wind plant, the PV plant, or both.
  const holdings: SimHolding[] = [];
  const sold = new Map<string, bigint>(plants.map((p) => [p.plantId, 0n]));
  const households = meters.filter((m) => m.profile === 'household');
  for (let i = 0; i < households.length && holdings.length < Math.max(4, Math.floor(remaining / 5)); i += 5) {
    const meter = households[i];
    for (const plant of plants) {
      if (plant.kind === 'pv' && i % 10 !== 0) continue;
      const sharesW = BigInt(1000 + Math.floor(random() * 4000));
      const soldSoFar = sold.get(plant.plantId) ?? 0n;
      // Never beyond nameplate: the last tenth of each plant stays unsold (goes to its operator).
      if (soldSoFar + sharesW > (plant.capacityW * 9n) / 10n) continue;
      sold.set(plant.plantId, soldSoFar + sharesW);
      const holder = walletFor(options.seed, `holder/${meter.meterId}`);
      holdings.push({ holderId: holder.address, holder, meterId: meter.meterId, groupId: meter.groupId, plantId: plant.plantId, sharesW });
    }
  }
  return { groups, mpos, dso: walletFor(options.seed, 'dso'), plantOperator: walletFor(options.seed, 'plant-operator'), meters, plants, holdings };
}

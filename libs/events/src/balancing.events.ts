import { z } from 'zod';
import { defineEvent } from './define-event';
import { addressString, bytes32String, groupIdString, meterPointIdString, minorUnitsString, periodIdString, whString } from './wire';

const periodLengthSchema = z.enum(['PT15M', 'PT60M']);

/**
 * One settled version of a balancing group's period. Conservation holds exactly:
 * feedInWh − feedOutWh − scheduleNetWh = imbalanceWh (scheduleNetWh > 0 means the group
 * delivered energy to other groups by schedule). Version 1 is the first settlement; a
 * correction (late or changed value) or a price arriving later opens version n+1 with the
 * full new totals; a version once published is never changed.
 *
 * When no imbalance price was known at settlement, `imbalancePricePerMWh` and
 * `imbalanceAmount` are null (energy settled, not yet priced); the price, when it arrives,
 * opens the next version with the same energy and root and the amount filled in.
 * `imbalanceAmount` is in minor units: positive = the TSO owes the BRP (group long).
 * `merkleRoot` is the root of the OpenZeppelin StandardMerkleTree over every meter of the
 * group in the period, leaf types ['string','uint64','uint8','uint256','bytes32'] =
 * (meterId, period start unix seconds, direction 0 consumption / 1 production, energy Wh,
 * salt); the salts are balancing's secret, handed out only with a proof.
 * `inputsDigest` (`inputsDigest` in @gridledger/settlement) is the digest of the meter-ingest
 * manifest this version settled (counts, digests and MPO-signed batches); absent when the
 * version was settled without a matching manifest, and then committed as zero ("not attested").
 */
export const BalancingPeriodSettled = defineEvent({
  type: 'balancing.period.settled',
  schemaVersion: 1,
  domain: 'balancing',
  entity: 'period',
  pastTense: 'settled',
  keyed: true,
  schema: z
    .object({
      groupId: groupIdString,
      periodId: periodIdString,
      periodLength: periodLengthSchema,
      version: z.number().int().positive(),
      /** Why this version exists. */
      trigger: z.enum(['complete', 'deadline', 'correction', 'priced']),
      feedInWh: whString,
      feedOutWh: whString,
      scheduleNetWh: whString,
      imbalanceWh: whString,
      imbalancePricePerMWh: minorUnitsString.nullable(),
      imbalanceAmount: minorUnitsString.nullable(),
      ledgerDigest: bytes32String,
      merkleRoot: bytes32String,
      meterCount: z.number().int().nonnegative(),
      substitutedCount: z.number().int().nonnegative(),
      /**
       * Why the version holds substitutes, when it holds any: `not-received-by-meter-ingest`
       * (balancing had every value meter-ingest accepted; these meters never reported) or
       * `deadline` (closed without a manifest check). Absent when substitutedCount is 0.
       */
      substitutionReason: z.enum(['not-received-by-meter-ingest', 'deadline']).optional(),
      inputsDigest: bytes32String.optional(),
    })
    .strict(),
});

const groupTotalsSchema = z
  .object({
    groupId: groupIdString,
    version: z.number().int().positive(),
    feedInWh: whString,
    feedOutWh: whString,
    scheduleNetWh: whString,
    imbalanceWh: whString,
    merkleRoot: bytes32String,
  })
  .strict();

/**
 * Market-wide summary of one period, published once every group of the period has a
 * settled version, and again (with `revision` + 1) whenever a group settles a new version
 * afterwards. Totals are sums over `groups`; totals.scheduleNetWh is 0 when every schedule
 * has both its groups in the market, and totals.imbalanceWh = feedIn − feedOut − scheduleNet.
 */
export const BalancingPeriodClosed = defineEvent({
  type: 'balancing.period.closed',
  schemaVersion: 1,
  domain: 'balancing',
  entity: 'period',
  pastTense: 'closed',
  keyed: false,
  schema: z
    .object({
      periodId: periodIdString,
      periodLength: periodLengthSchema,
      revision: z.number().int().positive(),
      groups: z.array(groupTotalsSchema).min(1),
      totals: z
        .object({
          feedInWh: whString,
          feedOutWh: whString,
          scheduleNetWh: whString,
          imbalanceWh: whString,
        })
        .strict(),
    })
    .strict(),
});

/**
 * Core NATS request/reply on `balancing.proof.requested` (not a stream event): asks for a
 * meter's leaf and Merkle proof in a group's period; the latest version when none is given.
 */
export const BALANCING_PROOF_SUBJECT = 'balancing.proof.requested';

export const balancingProofRequestSchema = z
  .object({
    groupId: groupIdString,
    periodId: periodIdString,
    meterId: meterPointIdString,
    version: z.number().int().positive().optional(),
    /** The address whose read session chain-bridge verified (docs/authorization.md): balancing answers only the meter's MPO, supplier or MARKET_OPERATOR. */
    reader: addressString.optional(),
  })
  .strict();
export type BalancingProofRequest = z.infer<typeof balancingProofRequestSchema>;

/**
 * The leaf as StandardMerkleTree values: [meterId, periodStartUnixSeconds, direction, energyWh, salt].
 * The salt (bytes32) is handed out only here, with the proof: without it a leaf hash cannot be guessed.
 */
export const merkleLeafSchema = z.tuple([
  meterPointIdString,
  z.string().regex(/^(0|[1-9][0-9]*)$/),
  z.union([z.literal(0), z.literal(1)]),
  z.string().regex(/^(0|[1-9][0-9]*)$/),
  bytes32String,
]);
export type MerkleLeafValues = z.infer<typeof merkleLeafSchema>;

export const balancingProofReplySchema = z.discriminatedUnion('ok', [
  z
    .object({
      ok: z.literal(true),
      groupId: groupIdString,
      periodId: periodIdString,
      version: z.number().int().positive(),
      leaf: merkleLeafSchema,
      leafHash: bytes32String,
      proof: z.array(bytes32String),
      root: bytes32String,
    })
    .strict(),
  z.object({ ok: z.literal(false), error: z.string() }).strict(),
]);
export type BalancingProofReply = z.infer<typeof balancingProofReplySchema>;

import { formatInstant, type DomainError } from '@gridledger/domain';
import { registryError, type MeterPointVersionState, type RegistryCommand, type Requester } from './registry.types';

/**
 * Settled periods, as meter-ingest sees them: the periods of a meter for which it has already
 * accepted (and published) a value. Balancing's own state is not visible here, so a value
 * accepted counts as settled whether or not balancing has settled its group-period yet.
 *
 * A change taking effect at or before such a value reaches back into settled periods. It is
 * refused unless the DSO of the meter's grid area marks it as a correction (`correction: true`);
 * then the values it covers are re-booked to the new group. The market operator may not (the
 * rule names the DSO only), and a retirement never may: its values would be in no group.
 *
 * `firstSettledMs`: the earliest accepted value's period start at or after the command's
 * instant, or null when there is none. Returns the refusal, or null when the command may go on.
 */
export function settledPeriodsRefusal(command: RegistryCommand, current: MeterPointVersionState | undefined, requester: Requester, firstSettledMs: number | null): DomainError | null {
  if (firstSettledMs === null || command.type === 'RegisterMeterPoint') return null;
  const since = formatInstant(firstSettledMs);
  if (command.type === 'RetireMeterPoint') {
    return registryError('SETTLED_PERIODS', command.meterId, 'effectiveAt', `values are accepted from ${since} on; a retirement may not reach back over them (they would be in no group)`);
  }
  if (command.correction !== true) {
    return registryError('SETTLED_PERIODS', command.meterId, 'effectiveFrom', `values are accepted from ${since} on; only the DSO of the meter's grid area may change periods with values, as a correction ("correction": true)`);
  }
  const gridArea = current?.gridArea ?? '';
  if (gridArea === '' || requester.isDso?.(gridArea) !== true) {
    return registryError('CORRECTION_NOT_PERMITTED', command.meterId, 'correction', `only the DSO of grid area "${gridArea}" may correct settled periods, not ${requester.address}`);
  }
  return null;
}

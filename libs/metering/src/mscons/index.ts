export { parseMscons, MSCONS_DEFAULT_LIMITS } from './mscons.parser';
export type { MsconsParseOptions } from './mscons.parser';
export { MsconsError } from './mscons.error';
export type { MsconsErrorCode, MsconsSegmentRef } from './mscons.error';
export type {
  IntervalQuality,
  MsconsInterchange,
  MsconsIntervalValue,
  MsconsLocation,
  MsconsMessage,
  MsconsMissingRange,
  MsconsQuarantinedInterval,
  MsconsRealignedInterval,
  MsconsRejectedMessage,
  QuarantineCode,
} from './mscons.types';
export type { ServiceCharacters } from './edifact-syntax';
export { parseEdifactDateTime } from './edifact-datetime';
export { parseKwhToWh } from './kwh-decimal';
export { decodeInterchangeBytes } from './edifact-encoding';

export { splitRegisterReadings, DEFAULT_MAX_GAP_MS, DEFAULT_MAX_SPAN_MS, DEFAULT_MAX_PERIODS } from './register-split';
export type {
  RegisterGap,
  RegisterGapReason,
  RegisterPoint,
  RegisterReadingError,
  RegisterReadingErrorCode,
  RegisterSeriesState,
  RegisterSplitOptions,
  RegisterSplitReading,
  RegisterSplitResult,
  SplitInterval,
} from './register-split.types';

import { headers as natsHeaders, type MsgHdrs } from 'nats';
import type { HeaderCarrier } from '@gridledger/telemetry';

/** NATS headers as an OpenTelemetry carrier (NATS returns '' for a missing key). */
export function headerCarrier(hdrs: MsgHdrs): HeaderCarrier {
  return {
    get: (key) => hdrs.get(key) || undefined,
    set: (key, value) => hdrs.set(key, value),
    keys: () => hdrs.keys(),
  };
}

export function headersFromRecord(record: Record<string, string>): MsgHdrs {
  const hdrs = natsHeaders();
  for (const [key, value] of Object.entries(record)) hdrs.set(key, value);
  return hdrs;
}

export const MSG_ID_HEADER = 'Nats-Msg-Id';
export const EVENT_TYPE_HEADER = 'Gridledger-Event-Type';

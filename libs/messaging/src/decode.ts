import { EventValidationError, type EventEnvelope } from '@gridledger/events';
import type { AnyEventDefinition } from './messaging-client';

export type DecodeResult = { readonly ok: true; readonly envelope: EventEnvelope; readonly definition: AnyEventDefinition } | { readonly ok: false; readonly reason: string };

/** Bytes → validated envelope of one of the accepted definitions, or the reason why not. */
export function decodeEvent(data: Uint8Array, accepted: ReadonlyMap<string, AnyEventDefinition>): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch (error) {
    return { ok: false, reason: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, reason: 'not a JSON object' };
  const type = (parsed as { type?: unknown }).type;
  if (typeof type !== 'string') return { ok: false, reason: 'type: missing or not a string' };
  const definition = accepted.get(type);
  if (!definition) return { ok: false, reason: `type: "${type}" is not accepted by this consumer` };
  try {
    return { ok: true, envelope: definition.parse(parsed), definition };
  } catch (error) {
    if (error instanceof EventValidationError) return { ok: false, reason: error.message };
    throw error;
  }
}

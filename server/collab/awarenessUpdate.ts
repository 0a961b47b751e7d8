import * as decoding from 'lib0/decoding';
import { CloseCode } from '../../shared/closeCodes.js';
import { ProtocolError } from '../protocolError.js';

/** One entry of an awareness update: `state` is null when the client removes its presence. */
export interface AwarenessEntry {
  clientId: number;
  clock: number;
  state: unknown;
}

/**
 * Decodes and validates a y-protocols awareness update (varUint count, then per entry varUint
 * clientID, varUint clock, varString JSON state) without applying it. Throws ProtocolError
 * (badMessage) on truncation, trailing bytes, a count larger than the bytes can hold, or JSON that
 * does not parse — so a bad update is refused whole, never half-applied.
 */
export function parseAwarenessUpdate(update: Uint8Array): AwarenessEntry[] {
  try {
    const decoder = decoding.createDecoder(update);
    const count = decoding.readVarUint(decoder);
    // Each entry takes at least 3 bytes; a larger claimed count is a lie about the frame.
    if (count * 3 > update.length) throw new Error(`claims ${count} entries in ${update.length} bytes`);
    const entries: AwarenessEntry[] = [];
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(decoder);
      const clock = decoding.readVarUint(decoder);
      const json = decoding.readVarString(decoder);
      if (decoder.pos > update.length) throw new Error('truncated');
      entries.push({ clientId, clock, state: JSON.parse(json) });
    }
    if (decoder.pos !== update.length) throw new Error('trailing bytes');
    return entries;
  } catch (error) {
    throw new ProtocolError(CloseCode.badMessage, `malformed awareness update: ${(error as Error).message}`.slice(0, 120));
  }
}

import { Contract, isCallException } from 'ethers';

/** Awaits a call that must revert with custom error `name` and exactly `args`. */
export async function expectRevert(call: Promise<unknown>, contract: Contract, name: string, args: readonly unknown[]): Promise<void> {
  let caught: unknown;
  try {
    await call;
  } catch (error) {
    caught = error;
  }
  if (caught === undefined) throw new Error(`expected revert ${name}, but the call succeeded`);
  if (!isCallException(caught) || !caught.data) throw caught;
  const decoded = contract.interface.parseError(caught.data);
  expect(decoded?.name).toBe(name);
  expect(normalise(decoded?.args.toArray(true))).toEqual(normalise(args));
}

function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value === 'string') return value.toLowerCase();
  if (typeof value === 'number') return BigInt(value);
  return value;
}

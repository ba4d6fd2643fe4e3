import { PollingLoop } from '../src/polling-loop';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('PollingLoop', () => {
  it('runs one pass at a time, goes on after a failing pass, and stop waits for the pass in progress', async () => {
    const errors: unknown[] = [];
    let passes = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const loop = new PollingLoop(
      5,
      async () => {
        passes += 1;
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(15);
        inFlight -= 1;
        if (passes === 2) throw new Error('transient');
      },
      (error) => errors.push(error),
    );
    loop.start();
    // Until three passes have begun (a fixed sleep is too short on a loaded machine), then stop.
    for (let waited = 0; passes < 3 && waited < 10_000; waited += 10) await sleep(10);
    await loop.stop();
    // stop() returned only after the pass in progress had ended.
    expect(inFlight).toBe(0);
    const passesAtStop = passes;
    await sleep(50);
    expect(passes).toBeGreaterThanOrEqual(3);
    expect(maxInFlight).toBe(1);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('transient');
    expect(passes).toBe(passesAtStop);
  });
});

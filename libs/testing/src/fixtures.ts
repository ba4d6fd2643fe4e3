import { resolve } from 'node:path';

/** The real MSCONS load-profile sample, kept with the metering domain's tests (see its SOURCE.md). */
export const MSCONS_SAMPLE_PATH = resolve(__dirname, '..', '..', 'metering', 'test', 'fixtures', 'mscons', 'MSCONS_TL_SAMPLE02.txt');

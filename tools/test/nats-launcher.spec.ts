import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath, resolveNatsServer } from '../src/stack/nats.launcher';

describe('finding nats-server', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'path-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds an executable on the given path and ignores a non-executable one', () => {
    writeFileSync(join(dir, 'nats-server'), '#!/bin/sh\n', { mode: 0o644 });
    expect(findOnPath('nats-server', dir)).toBeUndefined();
    chmodSync(join(dir, 'nats-server'), 0o755);
    expect(findOnPath('nats-server', dir)).toBe(join(dir, 'nats-server'));
  });

  it('explains how to install it when it is missing and installing is not allowed', () => {
    const lines: string[] = [];
    expect(() => resolveNatsServer((line) => lines.push(line), false, dir)).toThrow(/not found on the PATH[\s\S]*apt-get install -y nats-server[\s\S]*brew install nats-server/);
    expect(lines).toEqual([]);
  });
});

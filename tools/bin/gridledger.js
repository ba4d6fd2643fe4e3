#!/usr/bin/env node
// Launcher of the `gridledger` command: runs the TypeScript entry through @swc-node/register,
// reading the repository's tsconfig wherever the command is started from.
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
process.env.SWC_NODE_PROJECT ??= path.join(root, 'tsconfig.json');
require('@swc-node/register');
const { runCli } = require('../src/cli/main.ts');

runCli(process.argv.slice(2)).then((code) => process.exit(code));

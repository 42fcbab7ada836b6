#!/usr/bin/env node
// Shim for the package bin: runs the TypeScript CLI through tsx, so `npx dr` works in the clone
// without a build step.
require('tsx/cjs');
require('./dr.ts').buildProgram().parseAsync(process.argv);

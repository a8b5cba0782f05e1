#!/usr/bin/env node
// Entry for `npx lab`: load TypeScript sources through tsx so there is no build step.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli.ts');

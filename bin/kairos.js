#!/usr/bin/env node
// `npx kairos …` without a build step: tsx compiles the TypeScript server on the fly. main() resolves with the
// exit code; for `serve` that is after SIGINT/SIGTERM has shut the server down.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../server/cli.ts');
process.exitCode = await main(process.argv.slice(2));

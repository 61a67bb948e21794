#!/usr/bin/env node
// Entry point of `npx iovcheck`: the compiled CLI (built by `npm ci`/`npm install` through the
// `prepare` script, and by `npm test`), run in this process: no child process stands between a
// signal and the CLI (`cli/signals.ts` covers npx, which does not pass SIGTERM on).
import "../dist/cli/main.js"

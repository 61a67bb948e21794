#!/usr/bin/env node
// Entry point of `npx iovcheck`: the compiled CLI (built by `npm ci`/`npm install` through the
// `prepare` script, and by `npm test`).
import "../dist/cli/main.js"

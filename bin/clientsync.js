#!/usr/bin/env node
'use strict';
// Entry point for `npx clientsync`: the compiled CLI (built by `npm install` through the prepare script);
// a worker started without a heap cap runs itself again with one (src/cli/boot/heap-cap.ts).
require('../dist/cli/boot/bin.js');

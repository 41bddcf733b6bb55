#!/usr/bin/env node
'use strict';
// Entry point for `npx clientsync`: the compiled CLI (built by `npm install` through the prepare script).
require('../dist/cli/run.js');

// install.js — the package's npm install script: runs dist/cli/install.js (nothing to do when a
// prebuilt or built addon loads, else a build from source). In a source checkout before its first
// build there is no dist/ yet, and `npm run build` (scripts/bootstrap.sh) builds the addon instead.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const entry = path.join(__dirname, '..', 'dist', 'cli', 'install.js');
if (fs.existsSync(entry)) process.exitCode = require(entry).install();

#!/usr/bin/env node
// The browser tests drive Debian's Chromium (never a downloaded one). On a fresh Debian machine
// `npm test` installs it when it can (as root, with apt-get); otherwise it stops with one line
// saying what to install.
'use strict';
const { existsSync } = require('node:fs');
const { spawnSync } = require('node:child_process');

const CHROMIUM = '/usr/bin/chromium';

function fail(message) {
  console.error(`npm test: ${message}`);
  process.exit(1);
}

if (existsSync(CHROMIUM)) process.exit(0);

const canInstall = process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
if (!canInstall) {
  fail(`the browser tests need Chromium at ${CHROMIUM}: install Debian's package (sudo apt-get install chromium) and run npm test again`);
}

console.log(`npm test: installing Debian's chromium for the browser tests (once per machine)`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'chromium']]) {
  const run = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (run.status !== 0) fail(`apt-get ${args.join(' ')} failed (exit ${run.status}): install chromium with apt-get and run npm test again`);
}
if (!existsSync(CHROMIUM)) fail(`apt-get installed chromium but ${CHROMIUM} is missing: install Debian's chromium package`);

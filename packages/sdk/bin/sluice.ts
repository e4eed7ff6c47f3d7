#!/usr/bin/env node
import { runCli } from '../src/cli/main.ts';

const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.stdin.setEncoding('utf8');
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  signal: stop.signal,
});

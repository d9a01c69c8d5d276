/** The set-up scripts wait for Debian's package lock instead of failing when another apt-get runs. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers';

const LOCK = '/var/lib/dpkg/lock-frontend';
const canRun = process.getuid?.() === 0 && fs.existsSync(LOCK) && spawnSync('python3', ['--version']).status === 0;

test('apt_get waits while another process holds the dpkg lock, then succeeds', { skip: canRun ? false : 'needs root, Debian\'s dpkg lock and python3 to hold the lock' }, async () => {
  // Holds the lock as apt does (an fcntl lock) for 4 seconds.
  const holder = spawn('python3', ['-c', `import fcntl,time,sys\nf=open(${JSON.stringify(LOCK)},'w')\nfcntl.lockf(f, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(4)`]);
  await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
  const started = Date.now();
  const result = spawnSync('bash', ['-c', `source ${JSON.stringify(path.join(ROOT, 'scripts', 'lib', 'apt.sh'))}; apt_get install -y --no-install-recommends bash`], { encoding: 'utf8' });
  const waited = Date.now() - started;
  holder.kill();
  assert.equal(result.status, 0, result.stderr);
  assert.ok(waited >= 2500, `returned after ${waited} ms, while the lock was held for 4 s`);
});

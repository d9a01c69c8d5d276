/**
 * Tests that run inside the real VS Code extension host (code-server): the wiring of every editor
 * feature, waiting on editor events, never on sleeps. The module follows VS Code's extension-test
 * contract: `run()` resolves or rejects.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLEAN_DATA_TESTS } from './cleanData.tests';
import { DIAGNOSTIC_TESTS } from './diagnostics.tests';
import { FEATURE_TESTS } from './features.tests';
import { workspaceRoot } from './helpers';

const TESTS = [...DIAGNOSTIC_TESTS, ...FEATURE_TESTS, ...CLEAN_DATA_TESTS];

export async function run(): Promise<void> {
  const failures: string[] = [];
  for (const [name, body] of TESTS) {
    try {
      await body();
      console.log(`editor test passed: ${name}`);
    } catch (error) {
      failures.push(name);
      console.error(`editor test FAILED: ${name}\n${error instanceof Error ? error.stack : String(error)}`);
    }
  }
  const summary = `${TESTS.length - failures.length} passed, ${failures.length} failed`;
  fs.writeFileSync(path.join(workspaceRoot(), '.editor-test-result.json'), JSON.stringify({ passed: TESTS.length - failures.length, failures }));
  console.log(summary);
  if (failures.length > 0) throw new Error(`editor tests failed: ${failures.join('; ')}`);
}

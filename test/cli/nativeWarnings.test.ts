/** Dawn's native warnings are filtered from a model command's standard error, and nothing else is. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mayStartDawn, nativeWarningFilter } from '../../src/cli/nativeWarnings';

test('only Dawn\'s "Warning: " lines are dropped; progress redraws pass at once', () => {
  const out: string[] = [];
  const filter = nativeWarningFilter((text) => out.push(text));
  filter.push('Warn');
  assert.deepEqual(out, [], 'a line that may become a warning waits');
  filter.push('ing: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16\nbackend: webgpu\n');
  filter.push('\r step 3/12 loss 2.1');
  assert.deepEqual(out, ['backend: webgpu\n', '\r step 3/12 loss 2.1'], 'a progress bar without a newline passes at once');
  filter.push('\nWarning: another\nsft-studio: a real error\npartial');
  filter.end();
  assert.deepEqual(out.slice(2), ['\n', 'sft-studio: a real error\n', 'partial']);
});

test('the filter is used for model commands that may start Dawn, and never twice', () => {
  assert.equal(mayStartDawn(['forward', '--backend', 'webgpu'], {}), true);
  assert.equal(mayStartDawn(['train', '--backend=webgpu'], {}), true);
  assert.equal(mayStartDawn(['generate', '--backend', 'wasm'], {}), false);
  assert.equal(mayStartDawn(['check', '--backend', 'webgpu'], {}), false);
  assert.equal(mayStartDawn(['forward', '--backend', 'webgpu'], { SFT_STUDIO_FILTERED_STDERR: '1' }), false);
});

/**
 * Writes the demo's base model: a tiny, randomly initialised Llama (hidden 64, 2 layers) with
 * Llama 3's real tokenizer and chat template, in Hugging Face's folder layout. No pretrained
 * weights can be downloaded here, so the demo teaches a blank model to answer like an
 * Australian; the recipe is the same for a real model folder.
 * Usage: npx tsx examples/aussie/make-model.ts OUT_DIR
 */
import { writeTinyModel } from '../../test/fixtures/tinyModels';

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: npx tsx examples/aussie/make-model.ts OUT_DIR\n');
  process.exit(2);
}
writeTinyModel(out, { architecture: 'llama', tokenizer: 'llama3', seed: 7, embeddingStd: 0.2, linearStd: 0.08, shape: { hidden: 128, intermediate: 256, layers: 2, heads: 4, kvHeads: 2 } });
process.stdout.write(`${out}\n`);

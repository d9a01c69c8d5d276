// Applies our one patch to an installed dependency. `npm run build` runs it before bundling, and
// `npm ci` runs that build (the `prepare` script), so the CLI, the editor, the tests and the
// benchmarks all run the same code.
//
// @huggingface/jinja (the chat-template interpreter) declares its runtime values' fields as class
// fields: `type = "StringValue"` on every subclass, and `value` and `_builtins` without a value.
// Each construction of a value (dozens per rendered conversation) then defines those properties
// one by one, and a subclass redefines `type` after its base defined it, which V8 handles on a
// slow path: profiled, it was two thirds of a render's time. The patch turns each constant `type`
// into a getter on the prototype and drops the two empty declarations (the constructor assigns
// `value`, and `_builtins` is created on first use with `??=`). Nothing in the library writes
// `type` or looks for own properties, so behaviour is unchanged; the chat-template tests run on
// the patched library, and test/unit/dependencyPatch.test.ts checks that the patch is in place.
//
// The patch is idempotent. A version whose code no longer matches is left as it is, with a
// warning: it is correct without the patch, only slower.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MARKER = '/* sft-studio: runtime value fields patched (scripts/patchDependencies.mjs) */';
const CONSTANT_TYPE_FIELD = /^ {2}type = "(\w+)";$/gm;
const EMPTY_FIELD = /^ {2}(value|_builtins);\n/gm;

/** The patched text of one of the library's bundles, or undefined when it does not match. */
export function patchJinjaBundle(source) {
  if (source.startsWith(MARKER)) return source;
  const constantTypes = source.match(CONSTANT_TYPE_FIELD)?.length ?? 0;
  const emptyFields = source.match(EMPTY_FIELD)?.length ?? 0;
  // The runtime value classes (and the syntax tree's nodes) all declare a constant type; one
  // `value` field and three `_builtins` fields are declared without a value.
  if (constantTypes < 20 || emptyFields !== 4) return undefined;
  const patched = source
    .replace(CONSTANT_TYPE_FIELD, (_, name) => `  get type() {\n    return "${name}";\n  }`)
    .replace(EMPTY_FIELD, '');
  return `${MARKER}\n${patched}`;
}

function patchInstalledJinja() {
  const dist = path.join(ROOT, 'node_modules', '@huggingface', 'jinja', 'dist');
  for (const name of ['index.js', 'index.cjs']) {
    const file = path.join(dist, name);
    if (!fs.existsSync(file)) continue;
    const source = fs.readFileSync(file, 'utf8');
    const patched = patchJinjaBundle(source);
    if (patched === undefined) {
      console.warn(`patchDependencies: ${path.relative(ROOT, file)} does not have the fields this patch expects; left unpatched (templates render correctly, only slower)`);
    } else if (patched !== source) {
      fs.writeFileSync(file, patched);
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) patchInstalledJinja();

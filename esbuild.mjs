// Bundles each runtime into dist/: the extension host, the CLI, its check workers and its
// TensorFlow.js commands (plain Node). `--watch` rebuilds on change.
// Type-checking is separate (`npm run typecheck`); esbuild only strips types.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
};

const builds = [
  // The extension host bundle; `vscode` is provided by the editor at run time.
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  // The extension host's document service: checks open datasets off the editor's thread.
  { ...common, entryPoints: ['src/dataset/service/documentWorker.ts'], outfile: 'dist/documentWorker.js' },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js' },
  // Worker threads of the parallel file check; loaded by path from dist/cli.js.
  { ...common, entryPoints: ['src/dataset/load/checkWorker.ts'], outfile: 'dist/checkWorker.js' },
  // The TensorFlow.js commands (generate, forward), loaded by path only when called. The native
  // TensorFlow bindings are optional and found at run time, never bundled.
  { ...common, entryPoints: ['src/cli/trainerCommands.ts'], outfile: 'dist/trainerCommands.js', external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'] },
  // The run panel's page (a browser bundle with its stylesheet), loaded by the webview from dist/webview/.
  { bundle: true, platform: 'browser', format: 'iife', target: 'chrome120', minify: true, sourcemap: true, logLevel: 'warning', entryPoints: ['webview/runPanel.ts'], outdir: 'dist/webview' },
];

// The WASM backend loads its binaries from the bundle's folder.
fs.mkdirSync('dist', { recursive: true });
for (const name of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
  fs.copyFileSync(`node_modules/@tensorflow/tfjs-backend-wasm/dist/${name}`, `dist/${name}`);
}

if (process.argv.includes('--watch')) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}

// Bundles each runtime into dist/: the extension host, the CLI and its check workers (plain Node). `--watch` rebuilds on change.
// Type-checking is separate (`npm run typecheck`); esbuild only strips types.
import * as esbuild from 'esbuild';

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
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js' },
  // Worker threads of the parallel file check; loaded by path from dist/cli.js.
  { ...common, entryPoints: ['src/dataset/load/checkWorker.ts'], outfile: 'dist/checkWorker.js' },
];

if (process.argv.includes('--watch')) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}

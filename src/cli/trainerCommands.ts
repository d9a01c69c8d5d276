/**
 * The model commands (train, merge, generate, forward, export-gguf), in their own bundle (dist/trainerCommands.js) so that
 * `check`, `render` and `convert` never load it.
 */
export { runGenerate } from './commands/generate';
export { runForward } from './commands/forward';
export { runExportGguf } from './commands/exportGguf';
export { runTrain } from './commands/train';
export { runMerge } from './commands/merge';
export { runExample } from './commands/example';

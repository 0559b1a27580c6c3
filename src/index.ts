// The library API: everything the CLI uses, usable without it (nothing here
// reaches src/cli/). Import it from TypeScript, or from JavaScript (ESM) run
// with `node --import tsx` or Deno; see the README's "Library API" section.
// Every export carries TSDoc: test/library-api.test.ts checks that.
export * from './errors.ts';
export * from './model/types.ts';
export * from './bundle/format.ts';
export { openBundle, DEFAULT_READ_OPTIONS, type Bundle, type ReadOptions } from './bundle/reader.ts';
export { prepareOutputDir, type OutputDir } from './exporters/output-dir.ts';
export { PprofBuilder, toAddr, type PprofBuilderOptions, type PprofValueType, type PprofMappingInput, type PprofLineInput, type PprofLocationInput, type PprofLabelValue } from './exporters/pprof-builder.ts';
export * from './exporters/jupyter.ts';

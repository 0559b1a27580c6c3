// The library API: everything the CLI uses, usable without it.
export * from './errors.ts';
export * from './model/types.ts';
export * from './bundle/format.ts';
export { openBundle, DEFAULT_READ_OPTIONS, type Bundle, type ReadOptions } from './bundle/reader.ts';
export { prepareOutputDir, type OutputDir } from './exporters/output-dir.ts';
export { PprofBuilder, toAddr, type PprofBuilderOptions, type PprofValueType, type PprofMappingInput, type PprofLineInput, type PprofLocationInput, type PprofLabelValue } from './exporters/pprof-builder.ts';
export * from './exporters/jupyter.ts';

import { createRequire } from 'node:module';

/** The toolkit version, from package.json. */
export const TOOLKIT_VERSION: string = createRequire(import.meta.url)('../package.json').version;

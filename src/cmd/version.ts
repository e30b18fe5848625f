/** Filled in by the bundler from package.json and git; plain values when run unbundled. */
declare const __ESTIBA_VERSION__: string | undefined;
declare const __GIT_COMMIT__: string | undefined;

export const ESTIBA_VERSION: string = typeof __ESTIBA_VERSION__ === 'string' ? __ESTIBA_VERSION__ : '0.1.0-dev';
export const GIT_COMMIT: string = typeof __GIT_COMMIT__ === 'string' ? __GIT_COMMIT__ : 'unknown';

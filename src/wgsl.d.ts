// WGSL sources are imported as strings; scripts/wgsl-plugin.mjs does this for rollup and vitest.
declare module '*.wgsl' {
  const source: string;
  export default source;
}

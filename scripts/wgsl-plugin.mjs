// @ts-check
/**
 * Imports `.wgsl` files as their source string (`import code from './x.wgsl'`), so WGSL lives in sibling files with
 * editor support. A rollup plugin; vitest (vite) accepts it as is.
 * @returns {import('rollup').Plugin}
 */
export function wgsl() {
  return {
    name: 'wgsl',
    transform(code, id) {
      if (!id.endsWith('.wgsl')) return null;
      return { code: `export default ${JSON.stringify(code)};`, map: { mappings: '' } };
    },
  };
}

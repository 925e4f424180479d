// The part of three's MarchingCubes addon (three/examples/jsm/objects/MarchingCubes.js) that bench/node-bench.ts
// uses; three ships no types for its addons, and @types/three would be a large dependency for four fields.
declare module 'three/examples/jsm/objects/MarchingCubes.js' {
  export class MarchingCubes {
    constructor(resolution: number, material?: unknown, enableUvs?: boolean, enableColors?: boolean,
      maxPolyCount?: number);
    /** `[size^3]`, x fastest; the surface is where it crosses `isolation`, inside above it. */
    readonly field: Float32Array;
    isolation: number;
    /** Vertices written by the last update (three triangles' worth each, unshared). */
    readonly count: number;
    update(): void;
  }
}

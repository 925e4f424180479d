/**
 * Marching cubes (Lorensen & Cline 1987) on a regular grid of SDF values, with welded vertices (one per crossed grid
 * edge, shared by every cell around it, so a closed surface gives a watertight mesh), vertex normals from the SDF's
 * gradient and optional vertex colours.
 *
 * {@link marchingCubes} evaluates an SDF coarse-to-fine: first at the corners of blocks of cells, then only inside
 * the blocks that may hold the surface (mixed signs at the corners, or corners close enough to the iso-level for a
 * surface to pass through the block under a Lipschitz bound), then in the blocks that the surface enters through a
 * face of an evaluated block (flood fill), and last at the grid neighbours that the normals' central differences
 * need. {@link marchingCubesGrid} takes values already on a grid.
 */
import { GrowableFloat32, GrowableUint32 } from './growable.js';
import { ASSET_BOUNDS, type Bounds, type IndexedMesh } from './indexed-mesh.js';
import { CELL_EDGE_CORNERS, CELL_EDGES, TRIANGLE_EDGES, TRIANGLE_OFFSETS } from './marching-cubes-tables.js';

/**
 * Evaluates a scalar field at `count` points: `out[i]` for the point `points[3 i .. 3 i + 3)`. Called with at most
 * {@link EVALUATION_BATCH} points at a time; the arrays are reused between calls.
 */
export type FieldEvaluator = (points: Float32Array, count: number, out: Float32Array) => void;
/** Evaluates RGB colours at `count` points into `out[3 i .. 3 i + 3)`; same batching as {@link FieldEvaluator}. */
export type ColorEvaluator = (points: Float32Array, count: number, out: Float32Array) => void;

export const DEFAULT_GRID_RESOLUTION = 64;
export const MIN_GRID_RESOLUTION = 2;
/** 256^3 float32 values are 64 MiB; larger grids are refused rather than risk running out of memory. */
export const MAX_GRID_RESOLUTION = 256;
/** Cells per block side in the coarse pass. */
export const DEFAULT_COARSE_BLOCK = 4;
/**
 * Assumed bound on |grad sdf| when deciding that a block whose corners agree in sign cannot hold the surface: 1, as
 * for an exact SDF. Learned SDFs are only roughly distances (the default pack's reach |grad| ~5), but the flood fill
 * from mixed-sign blocks finds every surface component that crosses one, so the bound only matters for components
 * that no block corner separates; on the default pack's fields the mesh equals the full grid's even as L -> 0.
 */
export const DEFAULT_LIPSCHITZ = 1;
/** Most points per evaluator call. */
export const EVALUATION_BATCH = 4096;

/** Options of {@link marchingCubes}. */
export interface MarchingCubesOptions {
  /** Grid points per axis, integer in [2, 256]. Default 64. */
  resolution?: number;
  /** The box the grid spans. Default [-1, 1]^3. */
  bounds?: Bounds;
  /** The surface is where the field equals this; inside is below it. Default 0. */
  isoLevel?: number;
  /** Cells per block side in the coarse pass, integer in [1, resolution - 1]; 0 evaluates every point. Default 4. */
  coarseBlock?: number;
  /** Bound on |grad sdf| used to skip blocks whose corners agree in sign, > 0. Default 1. */
  lipschitz?: number;
  /** Vertex colours, evaluated once per vertex; none if omitted. */
  color?: ColorEvaluator;
}

/** What the coarse-to-fine pass saved. */
export interface MarchingCubesStats {
  /** resolution^3. */
  readonly gridPoints: number;
  /** Points passed to the SDF evaluator (coarse pass included). */
  readonly evaluatedPoints: number;
  readonly blocks: number;
  readonly activeBlocks: number;
}

export interface MarchingCubesResult {
  readonly mesh: IndexedMesh;
  readonly stats: MarchingCubesStats;
}

/** Options of {@link marchingCubesGrid}. */
export interface GridMarchingOptions {
  /** Grid points per axis: one number for a cube, or [nx, ny, nz]; each an integer in [2, 256]. */
  resolution: number | readonly [number, number, number];
  /** The box the grid spans. Default [-1, 1]^3. */
  bounds?: Bounds;
  /** Default 0. */
  isoLevel?: number;
  /** Vertex colours from a grid of RGB values `[nz, ny, nx, 3]`, interpolated along the crossed edges. */
  colors?: Float32Array;
  /** Vertex colours from a callback (ignored when `colors` is given). */
  color?: ColorEvaluator;
}

function checkResolution(name: string, value: number): void {
  if (!Number.isInteger(value) || value < MIN_GRID_RESOLUTION || value > MAX_GRID_RESOLUTION) {
    const range = `[${MIN_GRID_RESOLUTION}, ${MAX_GRID_RESOLUTION}]`;
    throw new RangeError(`${name} must be an integer in ${range}, got ${value}`);
  }
}

function checkBounds(bounds: Bounds): void {
  for (let a = 0; a < 3; a++) {
    const lo = bounds.min[a]!;
    const hi = bounds.max[a]!;
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo)) {
      throw new RangeError(`bounds.max[${a}] must be finite and > bounds.min[${a}], got [${lo}, ${hi}]`);
    }
  }
}

/** A grid: dimensions, the world position of point (0, 0, 0) and the spacing per axis. */
interface Grid {
  readonly nx: number;
  readonly ny: number;
  readonly nz: number;
  readonly origin: readonly [number, number, number];
  readonly spacing: readonly [number, number, number];
}

function makeGrid(nx: number, ny: number, nz: number, bounds: Bounds): Grid {
  const n = [nx, ny, nz];
  return {
    nx,
    ny,
    nz,
    origin: bounds.min,
    spacing: [0, 1, 2].map((a) => (bounds.max[a]! - bounds.min[a]!) / (n[a]! - 1)) as [number, number, number],
  };
}

/**
 * Extracts the iso-surface of an SDF evaluated coarse-to-fine on a cubic grid.
 * @throws {RangeError} naming an option that is out of range, or if the evaluator returns a non-finite value.
 */
export function marchingCubes(sdf: FieldEvaluator, options: MarchingCubesOptions = {}): MarchingCubesResult {
  const {
    resolution: n = DEFAULT_GRID_RESOLUTION,
    bounds = ASSET_BOUNDS,
    isoLevel = 0,
    coarseBlock = DEFAULT_COARSE_BLOCK,
    lipschitz = DEFAULT_LIPSCHITZ,
    color,
  } = options;
  checkResolution('resolution', n);
  checkBounds(bounds);
  if (!Number.isFinite(isoLevel)) throw new RangeError(`isoLevel must be finite, got ${isoLevel}`);
  if (!Number.isInteger(coarseBlock) || coarseBlock < 0 || coarseBlock > n - 1) {
    throw new RangeError(`coarseBlock must be 0 or an integer in [1, ${n - 1}], got ${coarseBlock}`);
  }
  if (!(lipschitz > 0 && Number.isFinite(lipschitz))) {
    throw new RangeError(`lipschitz must be finite and > 0, got ${lipschitz}`);
  }
  const grid = makeGrid(n, n, n, bounds);
  const values = new Float32Array(n * n * n);
  const evaluator = new BatchEvaluator(sdf, grid, values);

  if (coarseBlock === 0) {
    for (let i = 0; i < values.length; i++) evaluator.add(i);
    evaluator.flush();
    const mesh = finishMesh(extractSurface(values, grid, isoLevel, null, 1), values, grid, null, color ?? null);
    return { mesh, stats: { gridPoints: values.length, evaluatedPoints: evaluator.count, blocks: 1, activeBlocks: 1 } };
  }

  // 1. Values at the blocks' corners.
  const b = coarseBlock;
  const nb = Math.ceil((n - 1) / b);
  const coarse = (i: number): number => Math.min(i * b, n - 1);
  const state = new Uint8Array(values.length); // 0: not needed, 1: evaluated
  for (let z = 0; z <= nb; z++) {
    for (let y = 0; y <= nb; y++) {
      for (let x = 0; x <= nb; x++) {
        const i = coarse(x) + n * (coarse(y) + n * coarse(z));
        state[i] = 1;
        evaluator.add(i);
      }
    }
  }
  evaluator.flush();

  // 2. Blocks that may hold the surface: mixed signs at the corners, or a surface that the corners cannot rule out.
  //    If the surface crossed the block at s, then |v(c)| <= L |c - s| for every corner c, so every corner has
  //    |v| <= L * diagonal and the corner nearest to s has |v| <= L * diagonal / 2.
  const active = new Uint8Array(nb * nb * nb);
  const queue: number[] = [];
  for (let bz = 0; bz < nb; bz++) {
    for (let by = 0; by < nb; by++) {
      for (let bx = 0; bx < nb; bx++) {
        let below = 0;
        let farthest = 0;
        let nearest = Infinity;
        const diagonal = Math.hypot(
          (coarse(bx + 1) - coarse(bx)) * grid.spacing[0],
          (coarse(by + 1) - coarse(by)) * grid.spacing[1],
          (coarse(bz + 1) - coarse(bz)) * grid.spacing[2],
        );
        for (let c = 0; c < 8; c++) {
          const i = coarse(bx + (c & 1)) + n * (coarse(by + ((c >> 1) & 1)) + n * coarse(bz + (c >> 2)));
          const v = values[i]! - isoLevel;
          if (v < 0) below++;
          farthest = Math.max(farthest, Math.abs(v));
          nearest = Math.min(nearest, Math.abs(v));
        }
        if ((below > 0 && below < 8) || (farthest <= lipschitz * diagonal && nearest <= lipschitz * diagonal / 2)) {
          const block = bx + nb * (by + nb * bz);
          active[block] = 1;
          queue.push(block);
        }
      }
    }
  }

  // 3. Every point of the active blocks, then flood fill: a block next to an evaluated one whose shared face has
  //    mixed signs holds part of the same surface (marching-cubes surfaces cross from cell to cell only through
  //    faces with mixed signs), so it is evaluated too. Every surface component that reaches a block found in step
  //    2 is therefore complete, whatever the field's Lipschitz constant; only components that no such block
  //    reaches (smaller than a block, and missed by step 2's bound) can be lost.
  const evaluateBlock = (block: number): void => {
    const bx = block % nb;
    const by = Math.floor(block / nb) % nb;
    const bz = Math.floor(block / (nb * nb));
    for (let z = coarse(bz); z <= coarse(bz + 1); z++) {
      for (let y = coarse(by); y <= coarse(by + 1); y++) {
        for (let x = coarse(bx), i = x + n * (y + n * z); x <= coarse(bx + 1); x++, i++) {
          if (state[i]) continue;
          state[i] = 1;
          evaluator.add(i);
        }
      }
    }
  };
  /** Whether the face of `block` on `axis` at its low (0) or high (1) side has points on both sides of the iso-level. */
  const faceIsMixed = (block: number, axis: number, side: number): boolean => {
    const b = [block % nb, Math.floor(block / nb) % nb, Math.floor(block / (nb * nb))];
    const lo = b.map((v) => coarse(v));
    const hi = b.map((v) => coarse(v + 1));
    lo[axis] = hi[axis] = side ? hi[axis]! : lo[axis]!;
    let below = false;
    let above = false;
    for (let z = lo[2]!; z <= hi[2]!; z++) {
      for (let y = lo[1]!; y <= hi[1]!; y++) {
        for (let x = lo[0]!, i = x + n * (y + n * z); x <= hi[0]!; x++, i++) {
          if (values[i]! < isoLevel) below = true;
          else above = true;
          if (below && above) return true;
        }
      }
    }
    return false;
  };
  const strides = [1, nb, nb * nb];
  let activeBlocks = queue.length;
  for (let start = 0; start < queue.length; ) {
    const end = queue.length;
    for (let q = start; q < end; q++) evaluateBlock(queue[q]!);
    evaluator.flush();
    for (let q = start; q < end; q++) {
      const block = queue[q]!;
      const at = [block % nb, Math.floor(block / nb) % nb, Math.floor(block / (nb * nb))];
      for (let axis = 0; axis < 3; axis++) {
        for (let side = 0; side < 2; side++) {
          const neighbourAt = at[axis]! + (side ? 1 : -1);
          if (neighbourAt < 0 || neighbourAt >= nb) continue;
          const neighbour = block + (side ? 1 : -1) * strides[axis]!;
          if (active[neighbour] || !faceIsMixed(block, axis, side)) continue;
          active[neighbour] = 1;
          activeBlocks++;
          queue.push(neighbour);
        }
      }
    }
    start = end;
  }

  // 4. The surface, then the grid neighbours of the crossed edges' end points, for the normals.
  const surface = extractSurface(values, grid, isoLevel, active, b);
  const need = (i: number): void => {
    if (state[i]) return;
    state[i] = 1;
    evaluator.add(i);
  };
  const neighbours = (i: number): void => {
    const x = i % n;
    const y = Math.floor(i / n) % n;
    const z = Math.floor(i / (n * n));
    if (x > 0) need(i - 1);
    if (x < n - 1) need(i + 1);
    if (y > 0) need(i - n);
    if (y < n - 1) need(i + n);
    if (z > 0) need(i - n * n);
    if (z < n - 1) need(i + n * n);
  };
  const edges = surface.edges.view();
  for (let v = 0; v < edges.length; v++) {
    const i0 = Math.floor(edges[v]! / 3);
    const axis = edges[v]! % 3;
    neighbours(i0);
    neighbours(i0 + (axis === 0 ? 1 : axis === 1 ? n : n * n));
  }
  evaluator.flush();

  const mesh = finishMesh(surface, values, grid, null, color ?? null);
  return {
    mesh,
    stats: { gridPoints: values.length, evaluatedPoints: evaluator.count, blocks: active.length, activeBlocks },
  };
}

/**
 * Extracts the iso-surface of values on a grid.
 * @param values `[nz, ny, nx]` (x fastest).
 * @throws {RangeError} naming an option or array that does not fit, or if a value is not finite.
 */
export function marchingCubesGrid(values: Float32Array, options: GridMarchingOptions): IndexedMesh {
  const { resolution, bounds = ASSET_BOUNDS, isoLevel = 0, colors, color } = options;
  const [nx, ny, nz] = typeof resolution === 'number' ? [resolution, resolution, resolution] : resolution;
  checkResolution('resolution[0]', nx);
  checkResolution('resolution[1]', ny);
  checkResolution('resolution[2]', nz);
  checkBounds(bounds);
  if (!Number.isFinite(isoLevel)) throw new RangeError(`isoLevel must be finite, got ${isoLevel}`);
  const count = nx * ny * nz;
  if (values.length !== count) throw new RangeError(`values must hold ${count} floats, got ${values.length}`);
  if (colors && colors.length !== 3 * count) {
    throw new RangeError(`colors must hold 3 * ${count} floats, got ${colors.length}`);
  }
  for (let i = 0; i < count; i++) {
    // v - v is 0 for finite v and NaN for NaN and +-Infinity: one test instead of a call per value.
    const v = values[i]!;
    if (v - v !== 0) throw new RangeError(`values[${i}] is ${v}; every value must be finite`);
  }
  const grid = makeGrid(nx, ny, nz, bounds);
  return finishMesh(extractSurface(values, grid, isoLevel, null, 1), values, grid, colors ?? null, color ?? null);
}

/** Collects grid points, evaluates them in batches and scatters the results into the value grid. */
class BatchEvaluator {
  count = 0;
  private readonly _points = new Float32Array(3 * EVALUATION_BATCH);
  private readonly _out = new Float32Array(EVALUATION_BATCH);
  private readonly _indices = new Int32Array(EVALUATION_BATCH);
  private _pending = 0;

  constructor(
    private readonly _sdf: FieldEvaluator,
    private readonly _grid: Grid,
    private readonly _values: Float32Array,
  ) {}

  add(index: number): void {
    const { nx, ny, origin, spacing } = this._grid;
    const x = index % nx;
    const y = Math.floor(index / nx) % ny;
    const z = Math.floor(index / (nx * ny));
    const k = this._pending;
    this._points[3 * k] = origin[0] + x * spacing[0];
    this._points[3 * k + 1] = origin[1] + y * spacing[1];
    this._points[3 * k + 2] = origin[2] + z * spacing[2];
    this._indices[k] = index;
    this._pending++;
    if (this._pending === EVALUATION_BATCH) this.flush();
  }

  flush(): void {
    const k = this._pending;
    if (k === 0) return;
    this._sdf(this._points, k, this._out);
    for (let j = 0; j < k; j++) {
      const v = this._out[j]!;
      if (!Number.isFinite(v)) {
        const at = Array.from(this._points.subarray(3 * j, 3 * j + 3)).join(', ');
        throw new RangeError(`the SDF evaluator returned ${v} at (${at}); it must return finite values`);
      }
      this._values[this._indices[j]!] = v;
    }
    this.count += k;
    this._pending = 0;
  }
}

// Per cell edge: its axis and the offset of its lower corner.
const EDGE_AXIS = new Uint8Array(CELL_EDGES);
const EDGE_DX = new Uint8Array(CELL_EDGES);
const EDGE_DY = new Uint8Array(CELL_EDGES);
const EDGE_DZ = new Uint8Array(CELL_EDGES);
for (let e = 0; e < CELL_EDGES; e++) {
  const lower = CELL_EDGE_CORNERS[2 * e]!;
  EDGE_AXIS[e] = e >> 2;
  EDGE_DX[e] = lower & 1;
  EDGE_DY[e] = (lower >> 1) & 1;
  EDGE_DZ[e] = (lower >> 2) & 1;
}

/** Vertices and triangles of the surface; each vertex remembers its grid edge, for the normals and colours. */
interface Surface {
  readonly positions: GrowableFloat32;
  readonly indices: GrowableUint32;
  /** 3 i0 + axis: the edge from grid point i0 along axis. */
  readonly edges: GrowableUint32;
  /** Where the vertex lies on its edge, from i0 (0) to the next point along the axis (1). */
  readonly t: GrowableFloat32;
}

/**
 * The marching itself, one layer of cells at a time. Vertex ids of crossed edges are cached per layer (x and y edges
 * of the layer's bottom and top, z edges between them), so memory beyond the grid is O(nx ny).
 * @param active per-block flags (blocks of `block` cells per side), or null for every cell.
 */
function extractSurface(
  values: Float32Array,
  grid: Grid,
  iso: number,
  active: Uint8Array | null,
  block: number,
): Surface {
  const { nx, ny, nz, origin, spacing } = grid;
  const layer = nx * ny;
  const nbx = Math.ceil((nx - 1) / block);
  const nby = Math.ceil((ny - 1) / block);
  let xBottom = new Int32Array(layer).fill(-1);
  let xTop = new Int32Array(layer).fill(-1);
  let yBottom = new Int32Array(layer).fill(-1);
  let yTop = new Int32Array(layer).fill(-1);
  const zMiddle = new Int32Array(layer);
  const surface: Surface = {
    positions: new GrowableFloat32(),
    indices: new GrowableUint32(),
    edges: new GrowableUint32(),
    t: new GrowableFloat32(),
  };

  /** The vertex on edge e of cell (x, y, z), created on first use. */
  const vertex = (e: number, x: number, y: number, z: number): number => {
    const axis = EDGE_AXIS[e]!;
    const vx = x + EDGE_DX[e]!;
    const vy = y + EDGE_DY[e]!;
    const cacheIndex = vx + nx * vy;
    const cache = axis === 2 ? zMiddle : EDGE_DZ[e] ? (axis === 0 ? xTop : yTop) : axis === 0 ? xBottom : yBottom;
    const cached = cache[cacheIndex]!;
    if (cached >= 0) return cached;

    const vz = z + EDGE_DZ[e]!;
    const i0 = vx + nx * (vy + ny * vz);
    const v0 = values[i0]!;
    const v1 = values[i0 + (axis === 0 ? 1 : axis === 1 ? nx : layer)]!;
    const t = (iso - v0) / (v1 - v0);
    surface.positions.push3(
      origin[0] + (axis === 0 ? vx + t : vx) * spacing[0],
      origin[1] + (axis === 1 ? vy + t : vy) * spacing[1],
      origin[2] + (axis === 2 ? vz + t : vz) * spacing[2],
    );
    surface.edges.push(3 * i0 + axis);
    surface.t.push(t);
    const id = surface.t.length - 1;
    cache[cacheIndex] = id;
    return id;
  };

  // Which points are inside, one byte each, so that a cell's case is built from bytes; along a row of cells the
  // right face's four bits become the next cell's left face, so each cell reads four points, not eight.
  const below = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) below[i] = values[i]! < iso ? 1 : 0;
  for (let z = 0; z < nz - 1; z++) {
    zMiddle.fill(-1);
    const bz = Math.floor(z / block);
    for (let y = 0; y < ny - 1; y++) {
      const by = Math.floor(y / block);
      // The four x-lines of this row of cells: corner bit c = dx | dy << 1 | dz << 2.
      const l0 = nx * (y + ny * z);
      const l2 = l0 + nx;
      const l4 = l0 + layer;
      const l6 = l2 + layer;
      let left = below[l0]! | (below[l2]! << 2) | (below[l4]! << 4) | (below[l6]! << 6);
      for (let x = 0; x < nx - 1; x++) {
        const right = below[l0 + x + 1]! | (below[l2 + x + 1]! << 2) | (below[l4 + x + 1]! << 4) | (below[l6 + x + 1]! << 6);
        const inside = left | (right << 1);
        left = right;
        if (inside === 0 || inside === 255) continue;
        if (active && !active[Math.floor(x / block) + nbx * (by + nby * bz)]) continue;
        const end = TRIANGLE_OFFSETS[inside + 1]!;
        for (let k = TRIANGLE_OFFSETS[inside]!; k < end; k += 3) {
          const a = vertex(TRIANGLE_EDGES[k]!, x, y, z);
          const b = vertex(TRIANGLE_EDGES[k + 1]!, x, y, z);
          const c = vertex(TRIANGLE_EDGES[k + 2]!, x, y, z);
          surface.indices.push3(a, b, c);
        }
      }
    }
    // The top of this layer of cells is the bottom of the next one.
    [xBottom, xTop] = [xTop, xBottom];
    [yBottom, yTop] = [yTop, yBottom];
    xTop.fill(-1);
    yTop.fill(-1);
  }
  return surface;
}

/**
 * Normals (the SDF's central differences at both ends of each vertex's edge, interpolated, normalised) and colours.
 * Reads the values around every crossed edge, which must all be evaluated by now.
 */
function finishMesh(
  surface: Surface,
  values: Float32Array,
  grid: Grid,
  colorGrid: Float32Array | null,
  color: ColorEvaluator | null,
): IndexedMesh {
  const { nx, ny, nz, spacing } = grid;
  const layer = nx * ny;
  const edges = surface.edges.view();
  const ts = surface.t.view();
  const count = ts.length;
  const normals = new Float32Array(3 * count);
  const colors = colorGrid ? new Float32Array(3 * count) : null;
  const g0 = new Float64Array(3);
  const g1 = new Float64Array(3);

  /** Central differences (one-sided at the border) at grid point i, per world unit. */
  const gradient = (i: number, out: Float64Array): void => {
    const x = i % nx;
    const y = Math.floor(i / nx) % ny;
    const z = Math.floor(i / layer);
    const xl = x > 0 ? 1 : 0;
    const xh = x < nx - 1 ? 1 : 0;
    const yl = y > 0 ? 1 : 0;
    const yh = y < ny - 1 ? 1 : 0;
    const zl = z > 0 ? 1 : 0;
    const zh = z < nz - 1 ? 1 : 0;
    out[0] = (values[i + xh]! - values[i - xl]!) / ((xh + xl) * spacing[0]);
    out[1] = (values[i + yh * nx]! - values[i - yl * nx]!) / ((yh + yl) * spacing[1]);
    out[2] = (values[i + zh * layer]! - values[i - zl * layer]!) / ((zh + zl) * spacing[2]);
  };

  for (let v = 0; v < count; v++) {
    const i0 = Math.floor(edges[v]! / 3);
    const axis = edges[v]! % 3;
    const i1 = i0 + (axis === 0 ? 1 : axis === 1 ? nx : layer);
    const t = ts[v]!;
    gradient(i0, g0);
    gradient(i1, g1);
    let gx = g0[0]! + t * (g1[0]! - g0[0]!);
    let gy = g0[1]! + t * (g1[1]! - g0[1]!);
    let gz = g0[2]! + t * (g1[2]! - g0[2]!);
    let norm = Math.sqrt(gx * gx + gy * gy + gz * gz);
    if (!(norm > 0)) {
      // A flat spot: fall back on the edge's own direction towards the outside.
      const outward = values[i1]! > values[i0]! ? 1 : -1;
      gx = axis === 0 ? outward : 0;
      gy = axis === 1 ? outward : 0;
      gz = axis === 2 ? outward : 0;
      norm = 1;
    }
    normals[3 * v] = gx / norm;
    normals[3 * v + 1] = gy / norm;
    normals[3 * v + 2] = gz / norm;
    if (colors && colorGrid) {
      for (let ch = 0; ch < 3; ch++) {
        const c0 = colorGrid[3 * i0 + ch]!;
        colors[3 * v + ch] = c0 + t * (colorGrid[3 * i1 + ch]! - c0);
      }
    }
  }

  const positions = surface.positions.toArray();
  return {
    positions,
    normals,
    colors: colors ?? (color ? evaluateColors(color, positions) : null),
    indices: surface.indices.toArray(),
  };
}

/** Calls `color` on the vertices in batches of {@link EVALUATION_BATCH}. */
function evaluateColors(color: ColorEvaluator, positions: Float32Array<ArrayBuffer>): Float32Array<ArrayBuffer> {
  const count = positions.length / 3;
  const out = new Float32Array(3 * count);
  const points = new Float32Array(3 * EVALUATION_BATCH);
  const rgb = new Float32Array(3 * EVALUATION_BATCH);
  for (let start = 0; start < count; start += EVALUATION_BATCH) {
    const k = Math.min(EVALUATION_BATCH, count - start);
    points.set(positions.subarray(3 * start, 3 * (start + k)));
    color(points, k, rgb);
    out.set(rgb.subarray(0, 3 * k), 3 * start);
  }
  return out;
}

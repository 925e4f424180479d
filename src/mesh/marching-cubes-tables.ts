/**
 * Marching cubes case tables, generated here at module load rather than copied: for each of the 256 inside/outside
 * patterns of a cell's corners, the triangles as triples of cell edges.
 *
 * Generation: on each of the six faces, the edges whose corners differ in sign are joined in pairs by segments. A
 * face with four such edges (diagonal corners alike, the ambiguous case) always cuts its inside corners off one by
 * one. That choice depends on the face's four corners only, so the two cells that share a face draw the same
 * segments there, and the mesh is watertight. Each segment is oriented so that the inside lies on a fixed side; the
 * segments then chain into closed loops around the cell, and each loop is fanned into triangles whose normals point
 * out of the solid (towards larger values). The fan's root is chosen so that no diagonal joins two vertices of one
 * face (such a diagonal would lie in the face and could be drawn by the neighbouring cell too).
 *
 * Corner i of a cell is at offset (i & 1, (i >> 1) & 1, (i >> 2) & 1). Edge e = 4 axis + j runs along `axis` from
 * corner CELL_EDGE_CORNERS[2 e] (the one with a 0 on that axis) to CELL_EDGE_CORNERS[2 e + 1].
 */

export const CELL_CORNERS = 8;
export const CELL_EDGES = 12;

/** Corner pairs of the 12 edges, lower corner first. */
export const CELL_EDGE_CORNERS: Uint8Array = (() => {
  const out = new Uint8Array(2 * CELL_EDGES);
  for (let axis = 0; axis < 3; axis++) {
    const others = [0, 1, 2].filter((a) => a !== axis) as [number, number];
    for (let j = 0; j < 4; j++) {
      const lower = ((j & 1) << others[0]) | (((j >> 1) & 1) << others[1]);
      out[2 * (4 * axis + j)] = lower;
      out[2 * (4 * axis + j) + 1] = lower | (1 << axis);
    }
  }
  return out;
})();

/** Axis (0 = x, 1 = y, 2 = z) of each edge. */
export function edgeAxis(edge: number): number {
  return edge >> 2;
}

function cornerPosition(corner: number): [number, number, number] {
  return [corner & 1, (corner >> 1) & 1, (corner >> 2) & 1];
}

function edgeIndex(a: number, b: number): number {
  for (let e = 0; e < CELL_EDGES; e++) {
    const c0 = CELL_EDGE_CORNERS[2 * e]!;
    const c1 = CELL_EDGE_CORNERS[2 * e + 1]!;
    if ((c0 === a && c1 === b) || (c0 === b && c1 === a)) return e;
  }
  throw new Error(`corners ${a} and ${b} share no edge`);
}

interface Face {
  /** Corners in cyclic order around the face. */
  readonly corners: readonly [number, number, number, number];
  /** Edges between consecutive corners: edges[i] joins corners[i] and corners[i + 1]. */
  readonly edges: readonly [number, number, number, number];
  readonly normal: readonly [number, number, number];
}

const FACES: readonly Face[] = (() => {
  const faces: Face[] = [];
  for (let axis = 0; axis < 3; axis++) {
    const [b, c] = [0, 1, 2].filter((a) => a !== axis) as [number, number];
    for (let side = 0; side < 2; side++) {
      const base = side << axis;
      const corners = [base, base | (1 << b), base | (1 << b) | (1 << c), base | (1 << c)] as const;
      const edges = corners.map((corner, i) => edgeIndex(corner, corners[(i + 1) % 4]!)) as [number, number, number,
        number];
      const normal: [number, number, number] = [0, 0, 0];
      normal[axis] = side ? 1 : -1;
      faces.push({ corners, edges, normal });
    }
  }
  return faces;
})();

function edgeMidpoint(edge: number): [number, number, number] {
  const p = cornerPosition(CELL_EDGE_CORNERS[2 * edge]!);
  p[edgeAxis(edge)] = 0.5;
  return p;
}

/** Whether two cell edges lie on a common face. */
function shareFace(e1: number, e2: number): boolean {
  return FACES.some((face) => face.edges.includes(e1) && face.edges.includes(e2));
}

/** Orients the segment between edges p and q so that ((Q - P) x n) . (X - mid) > 0 for the inside corner X. */
function orient(p: number, q: number, insideCorner: number, normal: readonly number[]): [number, number] {
  const P = edgeMidpoint(p);
  const Q = edgeMidpoint(q);
  const X = cornerPosition(insideCorner);
  const d = [Q[0] - P[0], Q[1] - P[1], Q[2] - P[2]];
  const n = normal;
  const cross = [d[1]! * n[2]! - d[2]! * n[1]!, d[2]! * n[0]! - d[0]! * n[2]!, d[0]! * n[1]! - d[1]! * n[0]!];
  const side = [0, 1, 2].reduce((s, i) => s + cross[i]! * (X[i]! - (P[i]! + Q[i]!) / 2), 0);
  return side > 0 ? [p, q] : [q, p];
}

/** The triangles (edge triples) of one case; bit i of `inside` set when corner i is inside. */
function caseTriangles(inside: number): number[] {
  const isIn = (corner: number): boolean => ((inside >> corner) & 1) === 1;
  const next = new Int8Array(CELL_EDGES).fill(-1);
  const link = ([from, to]: [number, number]): void => {
    if (next[from] !== -1) throw new Error(`case ${inside}: edge ${from} starts two segments`);
    next[from] = to;
  };
  for (const face of FACES) {
    const crossing = face.edges.filter((_, i) => isIn(face.corners[i]!) !== isIn(face.corners[(i + 1) % 4]!));
    if (crossing.length === 2) {
      const corner = face.corners.find(isIn)!;
      link(orient(crossing[0]!, crossing[1]!, corner, face.normal));
    } else if (crossing.length === 4) {
      // Separate the inside corners: each is cut off by the segment between its two face edges.
      face.corners.forEach((corner, i) => {
        if (isIn(corner)) link(orient(face.edges[(i + 3) % 4]!, face.edges[i]!, corner, face.normal));
      });
    }
  }
  const triangles: number[] = [];
  const visited = new Uint8Array(CELL_EDGES);
  for (let start = 0; start < CELL_EDGES; start++) {
    if (next[start] === -1 || visited[start]) continue;
    const loop: number[] = [];
    for (let e = start; !visited[e]; e = next[e]!) {
      if (next[e] === -1) throw new Error(`case ${inside}: the loop through edge ${start} is open`);
      visited[e] = 1;
      loop.push(e);
    }
    triangles.push(...fan(loop, inside));
  }
  return triangles;
}

/** Fans a loop from the first root whose diagonals all cross the cell's interior. */
function fan(loop: readonly number[], inside: number): number[] {
  const n = loop.length;
  for (let root = 0; root < n; root++) {
    const diagonalsOk = Array.from({ length: n - 3 }, (_, k) => loop[(root + 2 + k) % n]!).every(
      (other) => !shareFace(loop[root]!, other),
    );
    if (!diagonalsOk) continue;
    const out: number[] = [];
    for (let k = 1; k + 1 < n; k++) out.push(loop[root]!, loop[(root + k) % n]!, loop[(root + k + 1) % n]!);
    return out;
  }
  throw new Error(`case ${inside}: no fan root avoids in-face diagonals for the loop ${loop.join(',')}`);
}

/** TRIANGLE_EDGES[TRIANGLE_OFFSETS[c] .. TRIANGLE_OFFSETS[c + 1]) are the edge triples of case c. */
export const { TRIANGLE_OFFSETS, TRIANGLE_EDGES } = (() => {
  const offsets = new Uint16Array(257);
  const all: number[] = [];
  for (let c = 0; c < 256; c++) {
    offsets[c] = all.length;
    all.push(...caseTriangles(c));
  }
  offsets[256] = all.length;
  return { TRIANGLE_OFFSETS: offsets, TRIANGLE_EDGES: Uint8Array.from(all) };
})();

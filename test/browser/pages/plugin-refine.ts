// Refines generated meshes in a Babylon scene (WebGL engine, WASM backend): one ASD run of a few steps that updates
// the mesh in place, one cancelled with job.cancel() and one with an AbortSignal mid-refinement (both keep the mesh),
// one cancelled as its mesh enters the scene, then a plain job on the same worker. plugin-refine.test.ts asserts on the report.
import { ArcRotateCamera } from '@babylonjs/core/Cameras/arcRotateCamera.js';
import { Engine } from '@babylonjs/core/Engines/engine.js';
import { VertexBuffer } from '@babylonjs/core/Buffers/buffer.js';
import { HemisphericLight } from '@babylonjs/core/Lights/hemisphericLight.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import { Scene } from '@babylonjs/core/scene.js';
import {
  createScaleDreamer,
  type GeneratedMeshMetadataHolder,
  type GenerationJob,
  type GenerationProgress,
  type ScaleDreamer,
} from 'scaledreamer-babylon';
import { reportResult } from './page-result.js';

const PROMPT = 'a red wooden barrel';
const GRID_SIZE = 32;
/** Render resolution of the views: 32 (upsampled to the prior's resolution when that is larger). */
const RESOLUTION = 32;

/** The mesh's geometry as plain arrays, for comparisons across updates. */
function geometry(mesh: Mesh) {
  return {
    positions: Array.from(mesh.getVerticesData(VertexBuffer.PositionKind) ?? []),
    colors: Array.from(mesh.getVerticesData(VertexBuffer.ColorKind) ?? []),
    indices: mesh.getTotalIndices(),
    geometryId: mesh.geometry?.uniqueId ?? null,
  };
}
type Geometry = ReturnType<typeof geometry>;

/** Largest change between two geometries' positions and colours; Infinity when their vertex counts differ. */
function change(a: Geometry, b: Geometry): number {
  if (a.positions.length !== b.positions.length) return Infinity;
  let max = 0;
  a.positions.forEach((value, i) => (max = Math.max(max, Math.abs(value - b.positions[i]!))));
  a.colors.forEach((value, i) => (max = Math.max(max, Math.abs(value - b.colors[i]!))));
  return max;
}

function thrown(call: () => unknown) {
  try {
    call();
    return null;
  } catch (error) {
    const { name, message } = error as Error;
    return { name, message };
  }
}

interface ViewsSummary {
  readonly count: number;
  readonly side: number;
  readonly values: number;
  readonly inUnitRange: boolean;
}

function summariseViews({ count, side, rgb }: { count: number; side: number; rgb: Float32Array }): ViewsSummary {
  return { count, side, values: rgb.length, inUnitRange: rgb.every((v) => v >= 0 && v <= 1) };
}

/** Runs a refining job, recording its events, the mesh as it first appears, and the geometry at each update. */
function track(scaleDreamer: ScaleDreamer, job: GenerationJob) {
  // The views' pixels are summarised: the page's result crosses to the test as JSON.
  const events: (Omit<GenerationProgress, 'elapsedMs' | 'views'> & { views: ViewsSummary | null })[] = [];
  const updates: Geometry[] = [];
  let first: { mesh: Mesh; geometry: Geometry; inScene: boolean } | null = null;
  const observer = scaleDreamer.onMeshGeneratedObservable.add((mesh) => {
    if (first || mesh.metadata?.scaleDreamer?.prompt !== job.prompt) return;
    first = { mesh, geometry: geometry(mesh), inScene: mesh.getScene().meshes.includes(mesh) };
  });
  job.onProgressObservable.add(({ elapsedMs: _elapsedMs, views, ...event }) => {
    events.push({ ...event, views: views && summariseViews(views) });
    if (event.meshUpdated && job.currentMesh) updates.push(geometry(job.currentMesh));
  });
  const ended = job.mesh.then(
    (mesh) => ({ ok: true as const, mesh }),
    (error: Error) => ({ ok: false as const, name: error.name, message: error.message }),
  ).finally(() => scaleDreamer.onMeshGeneratedObservable.remove(observer));
  return { events, updates, first: () => first, ended };
}

/** The report of a tracked job once it has ended. */
async function report(tracked: ReturnType<typeof track>, job: GenerationJob) {
  const end = await tracked.ended;
  const first = tracked.first();
  if (!end.ok) return { ok: false, error: end, events: tracked.events, state: job.state };
  const { mesh } = end;
  const final = geometry(mesh);
  return {
    ok: true,
    state: job.state,
    events: tracked.events,
    updates: tracked.updates.length,
    sameMesh: first !== null && first.mesh === mesh,
    firstInScene: first?.inScene ?? false,
    inScene: mesh.getScene().meshes.includes(mesh),
    disposed: mesh.isDisposed(),
    firstVertices: first ? first.geometry.positions.length / 3 : 0,
    finalVertices: final.positions.length / 3,
    changeFromFirst: first ? change(first.geometry, final) : 0,
    changeFromLastUpdate: tracked.updates.length ? change(tracked.updates.at(-1)!, final) : null,
    metadata: (mesh.metadata as GeneratedMeshMetadataHolder).scaleDreamer,
    mesh,
  };
}

/** Resolves with the first progress event that `accept` takes. */
function whenProgress(job: GenerationJob, accept: (progress: GenerationProgress) => boolean): Promise<GenerationProgress> {
  return new Promise((resolve) => {
    const observer = job.onProgressObservable.add((progress) => {
      if (!accept(progress)) return;
      job.onProgressObservable.remove(observer);
      resolve(progress);
    });
  });
}

reportResult(
  (async () => {
    const canvas = document.getElementById('scene') as HTMLCanvasElement;
    const engine = new Engine(canvas, true);
    const scene = new Scene(engine);
    new ArcRotateCamera('camera', -Math.PI / 2 - 0.5, 1.15, 3.6, new Vector3(0, 0.6, 0), scene);
    new HemisphericLight('light', new Vector3(0.3, 1, -0.4), scene);
    engine.runRenderLoop(() => scene.render());

    const scaleDreamer = await createScaleDreamer({ pack: './models/default/' });
    scene.addPlugin(scaleDreamer);

    const badRefine = {
      method: thrown(() => scaleDreamer.generate(PROMPT, { refine: { method: 'vsd' as 'asd' } })),
      steps: thrown(() => scaleDreamer.generate(PROMPT, { refine: { steps: 0 } })),
      resolution: thrown(() => scaleDreamer.generate(PROMPT, { refine: { resolution: 30 } })),
    };

    // 1. ASD for 3 steps, the mesh remeshed after each.
    const refined = scaleDreamer.generate(PROMPT, {
      gridSize: GRID_SIZE,
      seed: 3,
      refine: { method: 'asd', steps: 3, resolution: RESOLUTION, meshEvery: 1 },
    });
    const refinedReport = await report(track(scaleDreamer, refined), refined);
    const meshesAfterRefine = scene.meshes.length;

    // 2. Cancelled with job.cancel() after its second remesh.
    const cancelled = scaleDreamer.generate(PROMPT, {
      position: new Vector3(1.5, 0, 0),
      gridSize: GRID_SIZE,
      refine: { steps: 50, resolution: RESOLUTION, meshEvery: 2 },
    });
    const cancelledTracked = track(scaleDreamer, cancelled);
    await whenProgress(cancelled, ({ step, meshUpdated }) => meshUpdated && step >= 2);
    const cancelReturned = cancelled.cancel();
    const cancelledReport = await report(cancelledTracked, cancelled);
    const cancelledGeometry = cancelledReport.ok ? geometry(cancelledReport.mesh!) : null;

    // 3. Aborted through the AbortSignal after its first step.
    const controller = new AbortController();
    const aborted = scaleDreamer.generate(PROMPT, {
      position: new Vector3(-1.5, 0, 0),
      gridSize: GRID_SIZE,
      signal: controller.signal,
      refine: { method: 'csd', steps: 50, resolution: RESOLUTION, meshEvery: 5 },
    });
    const abortedTracked = track(scaleDreamer, aborted);
    await whenProgress(aborted, ({ step }) => step >= 1);
    controller.abort();
    const abortedReport = await report(abortedTracked, aborted);

    // 4. Cancelled as its mesh enters the scene, from an onMeshGeneratedObservable observer: no step runs.
    const early = scaleDreamer.generate(PROMPT, {
      position: new Vector3(0, 0, -1.5),
      gridSize: GRID_SIZE,
      refine: { steps: 50, resolution: RESOLUTION },
    });
    scaleDreamer.onMeshGeneratedObservable.addOnce(() => early.cancel());
    const earlyReport = await report(track(scaleDreamer, early), early);

    // 5. A plain job right after: the worker stopped refining and kept its sessions.
    const nextStart = performance.now();
    const next = await scaleDreamer.generate('a green cactus', { position: new Vector3(0, 0, 1.5), gridSize: GRID_SIZE })
      .mesh;
    const nextMs = performance.now() - nextStart;
    // The cancelled mesh got no update after the cancel.
    const cancelledUnchangedAfter = cancelledGeometry && cancelledReport.mesh
      ? change(cancelledGeometry, geometry(cancelledReport.mesh)) === 0 : false;
    const counts = await scaleDreamer.getResourceCountsAsync();

    const strip = <T extends { mesh?: unknown }>(value: T) => ({ ...value, mesh: undefined });
    return {
      badRefine,
      refined: strip(refinedReport),
      meshesAfterRefine,
      generatedMeshes: scene.meshes.filter((mesh) => mesh.name.startsWith('scaledreamer:')).length,
      cancelReturned,
      cancelled: strip(cancelledReport),
      cancelledUnchangedAfter,
      aborted: strip(abortedReport),
      early: strip(earlyReport),
      nextVertices: next.getTotalVertices(),
      nextMs,
      counts,
      cores: navigator.hardwareConcurrency,
      crossOriginIsolated: self.crossOriginIsolated,
    };
  })(),
);

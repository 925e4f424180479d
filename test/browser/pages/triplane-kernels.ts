// Runs the WGSL triplane decode and VolSDF render and backward kernels in the compute worker (from dist/) and their
// CPU twins here, on a small random field, for triplane-kernels.test.ts to compare.
import {
  ComputeWorker,
  CpuTriplaneField,
  CpuVolsdfRenderer,
  decodeTriplaneCpu,
  decoderLayout,
  planesLength,
  type OrbitCamera,
  type TriplaneFieldData,
  type VolsdfOptions,
} from 'scaledreamer-babylon';
import { lcg, uniformArray } from '../../fixtures/random.js';
import { reportResult } from './page-result.js';

/** Small on purpose: SwiftShader runs WGSL on the CPU. The decoder has the default pack's sizes. */
const SHAPE = { channels: 16, resolution: 8, hidden: 32 };
/** Not a multiple of the workgroup size, so the kernels' bounds checks are exercised. */
const POINTS = 100;
const OPTIONS: VolsdfOptions = { width: 8, height: 7, samples: 16, beta: 0.05, background: [0.2, 0.4, 0.6] };
const CAMERA: OrbitCamera = { azimuth: 35, elevation: 20, distance: 2.9, fov: 45 };

function field(): TriplaneFieldData {
  return {
    shape: SHAPE,
    planes: uniformArray(Float32Array, planesLength(SHAPE), 1, -0.5, 0.5),
    decoder: uniformArray(Float32Array, decoderLayout(SHAPE).length, 2, -0.4, 0.4),
  };
}

reportResult(
  (async () => {
    const data = field();
    const cpuField = new CpuTriplaneField(data.shape, data.planes, data.decoder);
    const points = uniformArray(Float32Array, 3 * POINTS, 3, -1.1, 1.1); // some outside the cube: border clamping
    const sdf = new Float32Array(POINTS);
    const albedo = new Float32Array(3 * POINTS);
    decodeTriplaneCpu(cpuField, points, sdf, albedo);
    const renderer = new CpuVolsdfRenderer(cpuField, OPTIONS);
    const next = lcg(4);
    const jitter = Float32Array.from({ length: 8 * 7 * 16 }, next);
    const plain = renderer.render(CAMERA);
    const jittered = renderer.render(CAMERA, jitter);
    const upstream = uniformArray(Float32Array, 3 * 8 * 7, 5);
    const gradPlanes = new Float64Array(data.planes.length);
    const gradDecoder = new Float64Array(data.decoder.length);
    renderer.backward(CAMERA, upstream, { planes: gradPlanes, decoder: gradDecoder }, jitter);

    const worker = ComputeWorker.spawn();
    try {
      const gpuDecoded = await worker.decodeTriplane(data, points.slice());
      const gpuPlain = await worker.renderTriplane(data, CAMERA, OPTIONS);
      const gpuJittered = await worker.renderTriplane(data, CAMERA, OPTIONS, jitter.slice());
      const gpuGrads = await worker.renderTriplaneBackward(data, CAMERA, OPTIONS, upstream.slice(), jitter.slice());
      const gpuPlanesOnly = await worker.renderTriplaneBackward(data, CAMERA, OPTIONS, upstream.slice(),
        jitter.slice(), false);
      const list = (a: ArrayLike<number>): number[] => Array.from(a);
      return {
        cpu: {
          sdf: list(sdf),
          albedo: list(albedo),
          pixels: list(plain.pixels),
          opacity: list(plain.opacity),
          depth: list(plain.depth),
          jitteredPixels: list(jittered.pixels),
          gradPlanes: list(gradPlanes),
          gradDecoder: list(gradDecoder),
          gradPlanesOnly: list(gradPlanes),
        },
        gpu: {
          sdf: list(gpuDecoded.sdf),
          albedo: list(gpuDecoded.albedo),
          pixels: list(gpuPlain.pixels),
          opacity: list(gpuPlain.opacity),
          depth: list(gpuPlain.depth),
          jitteredPixels: list(gpuJittered.pixels),
          gradPlanes: list(gpuGrads.planes),
          gradDecoder: list(gpuGrads.decoder ?? []),
          gradPlanesOnly: list(gpuPlanesOnly.planes),
        },
        decoderSkipped: gpuPlanesOnly.decoder === null,
      };
    } finally {
      worker.dispose();
    }
  })(),
);

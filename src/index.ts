export { ComputeWorker, type ComputeWorkerOptions } from './plugin/compute-worker.js';
export type {
  AdapterSummary,
  DecodedPoints,
  FieldGradients,
  Float32Tensor,
  Float32TensorMap,
  Int32Tensor,
  Int64Tensor,
  ModelTensor,
  ModelTensorData,
  ModelTensorMap,
  ModelTensorOf,
  RenderedImage,
  TriplaneFieldData,
} from './workers/compute-protocol.js';
export { type AdamOptions } from './kernels/adam-options.js';
export { CpuAdam } from './kernels/adam-cpu.js';
export { ADAM_WORKGROUP_SIZE, GpuAdam, type AdamTarget } from './kernels/adam.js';
export { cameraFrame, type OrbitCamera } from './kernels/camera.js';
export {
  decoderLayout,
  DECODER_TENSOR_NAMES,
  planesLength,
  SPHERE_RADIUS,
  type DecoderLayout,
  type FloatArray,
  type TriplaneShape,
} from './kernels/triplane-layout.js';
export {
  CpuTriplaneField,
  decodeTriplaneBackwardCpu,
  decodeTriplaneCpu,
  type FieldGradientTargets,
} from './kernels/triplane-cpu.js';
export {
  GpuTriplaneDecoder,
  TRIPLANE_DECODE_WORKGROUP_SIZE,
  TRIPLANE_MAX_CHANNELS,
  TRIPLANE_MAX_HIDDEN,
  type TriplaneBuffers,
  type TriplaneDecodeTarget,
} from './kernels/triplane.js';
export { DEFAULT_BETA, DEFAULT_SAMPLES, type VolsdfOptions } from './kernels/volsdf-options.js';
export { CpuVolsdfRenderer, type VolsdfImage } from './kernels/volsdf-cpu.js';
export { VolsdfTape } from './kernels/volsdf-tape-cpu.js';
export {
  GpuVolsdfRenderer,
  VOLSDF_BACKWARD_MAX_SAMPLES,
  VOLSDF_RENDER_WORKGROUP_SIZE,
  type VolsdfGradientTargets,
} from './kernels/volsdf.js';
export { ASSET_BOUNDS, type Bounds, type IndexedMesh } from './mesh/indexed-mesh.js';
export {
  DEFAULT_GRID_RESOLUTION,
  marchingCubes,
  marchingCubesGrid,
  type ColorEvaluator,
  type FieldEvaluator,
  type GridMarchingOptions,
  type MarchingCubesOptions,
  type MarchingCubesResult,
  type MarchingCubesStats,
} from './mesh/marching-cubes.js';
export { meshTriplane, type TriplaneMeshResult } from './mesh/triplane-mesh.js';
export { writeGlb, type GlbOptions } from './mesh/glb.js';
export {
  PromptTooLongError,
  UnknownWordsError,
  WordTokenizer,
  type EncodedPrompt,
  type EncodeOptions,
  type SpecialTokens,
  type WordTokenizerConfig,
} from './text/word-tokenizer.js';
export {
  loadModelPack,
  ModelPack,
  type GeneratorModels,
  type LoadModelPackOptions,
  type PriorModels,
} from './pack/model-pack.js';
export { PackError } from './pack/pack-error.js';
export type { PackReader } from './pack/pack-reader.js';
export type {
  JsonFileEntry,
  OnnxFileEntry,
  PackFileEntry,
  PackManifest,
  PriorInfo,
  RawFileEntry,
  TensorDtype,
  TensorSpec,
} from './pack/manifest.js';
export type { Dim } from './pack/json-fields.js';
export type { NoiseSchedule } from './pack/noise-schedule.js';
export type { TriplaneDecoderWeights } from './pack/triplane-decoder.js';
export { createScaleDreamer, ScaleDreamer } from './plugin/scale-dreamer.js';
export {
  DEFAULT_GRID_SIZE,
  type GenerateOptions,
  type PositionLike,
  type RefineOptions,
  type ScaleDreamerOptions,
} from './plugin/scale-dreamer-options.js';
export {
  GenerationJob,
  type GenerationJobState,
  type GenerationProgress,
  type GenerationStage,
} from './plugin/generation-job.js';
export { QueueFullError, WorkerCrashedError } from './plugin/generation-errors.js';
export type { PoolResourceCounts } from './plugin/generation-pool.js';
export { RESOURCE_COUNTS_KEY, type ResourceCount, type ResourceCounts } from './workers/resource-counters.js';
export type {
  GeneratedMeshMetadata,
  GeneratedMeshMetadataHolder,
  GenerationTimings,
  RefinementMetadata,
} from './plugin/generated-mesh.js';
export { RegisterScenePlugins, type ScenePlugin } from './plugin/scene-plugin.js';
export { SCALEDREAMER_COMPONENT_NAME, ScaleDreamerSceneComponent } from './plugin/scale-dreamer-component.js';
export type {
  GenerationBackend,
  GenerationWorkerInfo,
  ResolvedBackend,
  WorkerTimings,
} from './workers/generation-protocol.js';
export { toBabylonSpace, type BabylonMeshArrays } from './mesh/babylon-space.js';
export { exportMeshToGlb, type GlbExportOptions } from './plugin/glb-export.js';

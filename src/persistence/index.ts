/**
 * `scaledreamer-babylon/persistence`: generated assets that survive page reloads (IndexedDB, .glb through
 * @babylonjs/serializers out and @babylonjs/loaders back in). A separate entry, so that apps that do not keep assets
 * load neither the glTF loader nor this code.
 */
export {
  AssetLibrary,
  type AssetGenerateOptions,
  type AssetJob,
  type AssetJobKind,
  type AssetLibraryOptions,
  type AssetRegenerateOptions,
  type AssetSaveState,
  type LibraryAsset,
  type RefinementSupport,
} from './asset-library.js';
export {
  AssetStorageError,
  AssetStore,
  DEFAULT_DATABASE_NAME,
  type AssetPlacement,
  type AssetStorageErrorKind,
  type StoredAsset,
} from './asset-store.js';
export { loadGlbAsset, type LoadedGlbAsset } from './glb-asset.js';

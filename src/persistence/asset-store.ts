/**
 * Generated assets in IndexedDB: one record per asset, its mesh as a .glb Blob beside what made it (prompt, seed,
 * method, placement, the plugin's metadata). Every failure is an {@link AssetStorageError} saying which kind it is, so
 * that apps can tell the user that storage is full or unavailable instead of losing work silently.
 */
import type { GeneratedMeshMetadata } from '../plugin/generated-mesh.js';

/** Where an asset stands in the scene: the point on the ground under it, and its turn about the vertical axis. */
export interface AssetPlacement {
  readonly x: number;
  readonly y: number;
  readonly z: number;
  /** Radians about +Y; 0 faces the asset's front toward -Z (docs/conventions.md). */
  readonly rotationY: number;
}

/** One stored asset. */
export interface StoredAsset {
  /** Unique in the store; kept when the asset is regenerated in place. */
  readonly id: string;
  readonly prompt: string;
  readonly seed: number;
  /** `'generator'`, or the refinement method that produced the mesh. */
  readonly method: string;
  readonly placement: AssetPlacement;
  /** `mesh.metadata.scaleDreamer` when the asset was made (pack, timings, vertices, ...). */
  readonly metadata: GeneratedMeshMetadata;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The mesh in world space, as exported by `exportMeshToGlb`. */
  readonly glb: Blob;
}

/**
 * - `'unavailable'`: IndexedDB is missing or refuses to open (private browsing, blocked storage, a newer schema);
 * - `'quota'`: the origin's storage is full (`QuotaExceededError`);
 * - `'failed'`: any other failed read or write.
 */
export type AssetStorageErrorKind = 'unavailable' | 'quota' | 'failed';

export class AssetStorageError extends Error {
  override readonly name = 'AssetStorageError';

  constructor(
    readonly kind: AssetStorageErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The database and object store names, and the schema version. */
export const DEFAULT_DATABASE_NAME = 'scaledreamer-assets';
const STORE = 'assets';
const SCHEMA_VERSION = 1;

export class AssetStore {
  private _db: IDBDatabase | null;

  private constructor(
    db: IDBDatabase,
    /** The IndexedDB database's name. */
    readonly databaseName: string,
  ) {
    this._db = db;
    // Another tab upgrading the schema: let it, and fail our later calls with a clear error.
    db.onversionchange = () => this.close();
  }

  /**
   * Opens (creating on first use) the database.
   * @throws {AssetStorageError} of kind `'unavailable'` if IndexedDB is missing or cannot be opened.
   */
  static async open(databaseName: string = DEFAULT_DATABASE_NAME): Promise<AssetStore> {
    if (typeof indexedDB === 'undefined') {
      throw new AssetStorageError('unavailable', 'this browser has no IndexedDB, so generated assets cannot be saved');
    }
    let request: IDBOpenDBRequest;
    try {
      request = indexedDB.open(databaseName, SCHEMA_VERSION);
    } catch (error) {
      throw new AssetStorageError('unavailable', `IndexedDB refused to open ${databaseName}: ${describe(error)}`, {
        cause: error,
      });
    }
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: 'id' });
    };
    try {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
        request.onblocked = () => reject(new Error('another tab holds an older version of the database open'));
      });
      return new AssetStore(db, databaseName);
    } catch (error) {
      throw new AssetStorageError('unavailable', `IndexedDB could not open ${databaseName}: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  get isClosed(): boolean {
    return this._db === null;
  }

  /**
   * Adds the asset, or replaces the one with its id.
   * @throws {AssetStorageError} `'quota'` when storage is full, `'failed'` otherwise.
   */
  put(asset: StoredAsset): Promise<void> {
    return this._write('save', (store) => store.put(asset));
  }

  /** @throws {AssetStorageError} of kind `'failed'`. */
  delete(id: string): Promise<void> {
    return this._write('delete', (store) => store.delete(id));
  }

  /** Removes every asset. @throws {AssetStorageError} of kind `'failed'`. */
  clear(): Promise<void> {
    return this._write('clear', (store) => store.clear());
  }

  /**
   * Every stored asset, oldest first.
   * @throws {AssetStorageError} of kind `'failed'`.
   */
  async getAll(): Promise<StoredAsset[]> {
    const store = this._transaction('readonly', 'read').objectStore(STORE);
    const assets = await this._request<StoredAsset[]>('read', store.getAll());
    return assets.sort((a, b) => a.createdAt - b.createdAt);
  }

  /**
   * The origin's storage use and quota in bytes (`navigator.storage.estimate()`); null where the browser has no
   * estimate.
   */
  async estimate(): Promise<{ usage: number; quota: number } | null> {
    if (typeof navigator === 'undefined' || !navigator.storage?.estimate) return null;
    const { usage, quota } = await navigator.storage.estimate();
    return usage === undefined || quota === undefined ? null : { usage, quota };
  }

  /** Closes the database; other methods throw afterwards. Idempotent. */
  close(): void {
    this._db?.close();
    this._db = null;
  }

  private _transaction(mode: IDBTransactionMode, action: string): IDBTransaction {
    if (!this._db) {
      throw new AssetStorageError('unavailable', `cannot ${action} assets: the asset store is closed (another tab ` +
        'may have upgraded it; reload the page)');
    }
    try {
      return this._db.transaction(STORE, mode);
    } catch (error) {
      throw new AssetStorageError('failed', `cannot ${action} assets: ${describe(error)}`, { cause: error });
    }
  }

  /** One write in its own transaction, settled when the transaction commits (quota errors surface only then). */
  private async _write(action: string, write: (store: IDBObjectStore) => IDBRequest): Promise<void> {
    const transaction = this._transaction('readwrite', action);
    const done = new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onabort = () => reject(transaction.error ?? new Error('the transaction was aborted'));
      transaction.onerror = () => reject(transaction.error);
    });
    try {
      write(transaction.objectStore(STORE));
      await done;
    } catch (error) {
      throw storageError(action, error);
    }
  }

  private async _request<T>(action: string, request: IDBRequest<T>): Promise<T> {
    try {
      return await new Promise<T>((resolve, reject) => {
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    } catch (error) {
      throw storageError(action, error);
    }
  }
}

function storageError(action: string, error: unknown): AssetStorageError {
  if (error instanceof AssetStorageError) return error;
  if (error instanceof DOMException && error.name === 'QuotaExceededError') {
    return new AssetStorageError('quota', `cannot ${action} the asset: the browser's storage for this site is full ` +
      '(delete some assets, or free space in the browser settings)', { cause: error });
  }
  return new AssetStorageError('failed', `cannot ${action} the asset: ${describe(error)}`, { cause: error });
}

function describe(error: unknown): string {
  if (error instanceof Error || error instanceof DOMException) return `${error.name}: ${error.message}`;
  return String(error);
}

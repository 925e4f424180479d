// The Khronos glTF validator (npm gltf-validator) ships no types; these cover what the tests use.
declare module 'gltf-validator' {
  export interface ValidationIssue {
    readonly code: string;
    readonly message: string;
    readonly severity: number;
    readonly pointer?: string;
  }
  export interface ValidationReport {
    readonly issues: {
      readonly numErrors: number;
      readonly numWarnings: number;
      readonly numInfos: number;
      readonly numHints: number;
      readonly messages: readonly ValidationIssue[];
    };
    readonly info?: Record<string, unknown>;
  }
  export interface ValidationOptions {
    uri?: string;
    maxIssues?: number;
    writeTimestamp?: boolean;
    ignoredIssues?: string[];
  }
  export function validateBytes(data: Uint8Array, options?: ValidationOptions): Promise<ValidationReport>;
  export function version(): string;
}

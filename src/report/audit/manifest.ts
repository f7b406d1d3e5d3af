/** Reproducibility facts for the manifest: runtime versions and content hashes of the audited data. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { tf } from '../../engine/tf.js';
import { activeBackend } from '../../engine/backend.js';
import type { LoadedData } from '../../data/load-all.js';
import type { AuditManifest } from './results.js';

const require = createRequire(import.meta.url);

function packageVersion(name: string): string | null {
  try {
    // Resolve the package's main entry, then walk up to its package.json (exports maps may hide package.json).
    let dir = path.dirname(require.resolve(name));
    for (let i = 0; i < 6; i++) {
      const file = path.join(dir, 'package.json');
      if (fs.existsSync(file)) {
        const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (json.name === name && json.version) return json.version;
      }
      dir = path.dirname(dir);
    }
  } catch {
    // not installed
  }
  return null;
}

export function environment(): AuditManifest['environment'] {
  return {
    node: process.version,
    tfjs: tf.version_core,
    onnxruntime: packageVersion('onnxruntime-node'),
    backend: activeBackend() ?? tf.getBackend() ?? 'unknown',
    platform: process.platform,
    arch: process.arch,
    cpus: os.cpus().length,
  };
}

/** SHA-256 of the loaded arrays: x as float32 little-endian bytes, then y as int32 little-endian bytes. */
export function dataSha256(data: Pick<LoadedData, 'x' | 'y'>): string {
  const hash = createHash('sha256');
  const bytes = (a: Float32Array | Int32Array) => {
    const view = new DataView(a.buffer, a.byteOffset, a.byteLength);
    const out = new Uint8Array(a.byteLength);
    const outView = new DataView(out.buffer);
    for (let i = 0; i < a.length; i++) {
      if (a instanceof Float32Array) outView.setFloat32(i * 4, view.getFloat32(i * 4, true), true);
      else outView.setInt32(i * 4, view.getInt32(i * 4, true), true);
    }
    return out;
  };
  hash.update(bytes(data.x));
  hash.update(bytes(data.y));
  return hash.digest('hex');
}

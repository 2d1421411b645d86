// General-purpose compressors from node:zlib at their default levels (gzip 6, brotli quality 11) over
// the raw columns: each block's timestamp and value Float64Array bytes compressed separately.
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
import type { Block } from "../datasets/index.js";
import { cpuSeconds } from "../timing.js";
import { bytesOf, type BlockCost, type Contender, type PreparedRun } from "./contender.js";

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function zlibContender(
  name: string,
  compress: (b: Uint8Array) => Uint8Array,
  decompress: (b: Uint8Array) => Uint8Array,
  slow: boolean,
): Contender {
  return {
    name,
    prepare(dataset: string, blocks: readonly Block[]): PreparedRun {
      const ts: Uint8Array[] = new Array(blocks.length);
      const vs: Uint8Array[] = new Array(blocks.length);
      const start = cpuSeconds();
      for (let i = 0; i < blocks.length; i++) {
        ts[i] = compress(bytesOf(blocks[i].timestamps));
        vs[i] = compress(bytesOf(blocks[i].values));
      }
      const encodeSeconds = cpuSeconds() - start;
      const costs: BlockCost[] = blocks.map((block, i) => {
        if (!sameBytes(decompress(ts[i]), bytesOf(block.timestamps)) || !sameBytes(decompress(vs[i]), bytesOf(block.values))) {
          throw new Error(`${name} on ${dataset}, block ${i} does not decompress to its input`);
        }
        return {
          series: block.series,
          points: block.values.length,
          bytes: ts[i].length + vs[i].length,
          timestampBits: ts[i].length * 8,
          valueBits: vs[i].length * 8,
        };
      });
      return {
        costs,
        valueCodecs: null,
        encodeSecondsOnce: slow ? encodeSeconds : undefined,
        encodeAll() {
          for (let i = 0; i < blocks.length; i++) {
            ts[i] = compress(bytesOf(blocks[i].timestamps));
            vs[i] = compress(bytesOf(blocks[i].values));
          }
        },
        decodeAll() {
          for (let i = 0; i < blocks.length; i++) {
            decompress(ts[i]);
            decompress(vs[i]);
          }
        },
      };
    },
  };
}

export const gzipContender: Contender = zlibContender("gzip", (b) => gzipSync(b), (b) => gunzipSync(b), false);
export const brotliContender: Contender = zlibContender("brotli", (b) => brotliCompressSync(b), (b) => brotliDecompressSync(b), true);

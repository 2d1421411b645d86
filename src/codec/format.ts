// The block format's constants as the TypeScript side needs them (docs/format/block.md is the
// byte-by-byte description; assembly/codec/block.ts writes it).

/** @internal */
export const HEADER = {
  magic: 0x4b425049,
  version: 1,
  fixedBytes: 112,
  headerLength: 6,
  timestampCodec: 8,
  valueCodec: 9,
  sketchBuckets: 10,
  count: 12,
  timestampBytes: 16,
  valueBytes: 20,
  finiteCount: 24,
  tFirst: 32,
  tLast: 40,
  tMin: 48,
  tMax: 56,
  first: 64,
  last: 72,
  min: 80,
  max: 88,
  sum: 96,
  m2: 104,
} as const;

/** How the values of a block are stored. */
export type ValueCodec = "plain" | "decimal" | "xor" | "runs";
/** How an integer stream (the timestamps) is stored. */
export type IntegerMode = "progression" | "for" | "delta" | "dod" | "frame-for";

/** @internal Value codec ids as written in byte 9 of the header. */
export const VALUE_CODEC_IDS: Record<ValueCodec, number> = { plain: 1, decimal: 2, xor: 3, runs: 4 };
/** @internal Integer stream modes as written in the stream's first byte. */
export const INTEGER_MODE_IDS: Record<IntegerMode, number> = { progression: 0, for: 1, delta: 2, dod: 3, "frame-for": 4 };

/** @internal */
export function valueCodecName(id: number): ValueCodec | undefined {
  return (Object.keys(VALUE_CODEC_IDS) as ValueCodec[]).find((k) => VALUE_CODEC_IDS[k] === id);
}

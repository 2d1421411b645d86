// iotpipe's block codec as a bench contender: "iotpipe" lets the encoder choose, "gorilla" forces
// the XOR value codec (Gorilla's) and prices Gorilla's own timestamp stream beside it.
import type { Codec, EncodeOptions } from "../../src/codec/index.js";
import type { Block } from "../datasets/index.js";
import { sameBits, type BlockCost, type Contender, type PreparedRun } from "./contender.js";
import { gorillaTimestampBits } from "./gorilla-timestamps.js";

type Pricer = (block: Block, encoded: Uint8Array, codec: Codec) => Omit<BlockCost, "series" | "points">;

function codecContender(name: string, codec: Codec, options: EncodeOptions, price: Pricer): Contender {
  return {
    name,
    prepare(dataset: string, blocks: readonly Block[]): PreparedRun {
      const encoded: Uint8Array[] = new Array(blocks.length);
      const costs: BlockCost[] = [];
      const valueCodecs: Record<string, number> = {};
      let most = 0;
      blocks.forEach((block, i) => {
        const where = `${name} on ${dataset}, block ${i} (${block.values.length} points)`;
        const bytes = codec.encode(block.timestamps, block.values, options);
        const back = codec.decode(bytes);
        if (!sameBits(back.timestamps, block.timestamps) || !sameBits(back.values, block.values)) {
          throw new Error(`${where} does not decode to its input`);
        }
        const kind = codec.summary(bytes).valueCodec;
        valueCodecs[kind] = (valueCodecs[kind] ?? 0) + 1;
        encoded[i] = bytes;
        costs.push({ series: block.series, points: block.values.length, ...price(block, bytes, codec) });
        most = Math.max(most, block.values.length);
      });
      // decodeInto with caller-owned arrays: the allocation-free path queries use to scan blocks.
      const tsOut = new Float64Array(most);
      const valuesOut = new Float64Array(most);
      return {
        costs,
        valueCodecs,
        encodeAll() {
          for (let i = 0; i < blocks.length; i++) encoded[i] = codec.encode(blocks[i].timestamps, blocks[i].values, options);
        },
        decodeAll() {
          for (let i = 0; i < encoded.length; i++) codec.decodeInto(encoded[i], tsOut, valuesOut);
        },
      };
    },
  };
}

/** The codec as shipped: value codec and timestamp mode chosen per block. */
export function iotpipeContender(codec: Codec): Contender {
  return codecContender("iotpipe", codec, {}, (_block, encoded, c) => {
    const s = c.summary(encoded);
    return { bytes: encoded.length, timestampBits: s.timestampBytes * 8, valueBits: s.valueBytes * 8 };
  });
}

/**
 * Gorilla: values through the codec's XOR path (the paper's bit layout), timestamps priced by
 * gorillaTimestampBits. Its block is the two streams alone, with no iotpipe header; its speed is
 * the codec's XOR path, since a TypeScript Gorilla would measure JavaScript rather than the format.
 */
export function gorillaContender(codec: Codec): Contender {
  return codecContender("gorilla", codec, { values: "xor" }, (block, encoded, c) => {
    const s = c.summary(encoded);
    if (s.valueCodec !== "xor") throw new Error(`BUG: values forced to xor came back as ${s.valueCodec}`);
    const timestampBits = gorillaTimestampBits(block.timestamps);
    return { bytes: Math.ceil(timestampBits / 8) + s.valueBytes, timestampBits, valueBits: s.valueBytes * 8 };
  });
}

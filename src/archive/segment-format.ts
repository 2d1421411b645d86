// The segment file: a partition's blocks written in one go, followed by their index (series → blocks
// with each block's header, so queries answer from the index without touching the blocks) and a
// footer that locates the index. Segments are immutable; the manifest says which ones are live.
//
// "IPSG" · u8 version · 11 reserved · entries · index · footer
// entry:  u16 key bytes · UTF-8 key · u8 flags (1 = late) · f64 sequence · block   (self-describing, so
//         the index can be rebuilt from the entries alone)
// index:  u32 series · per series: u16 bytes · UTF-8 key
//         u32 blocks · per block: u32 series · u8 flags (1 = late) · 3 reserved · f64 sequence ·
//                                 f64 offset · u32 length · u16 header bytes · the block's header
// footer: f64 index offset · u32 index bytes · u32 CRC-32 of index · u32 version · "IPSX"

export const SEGMENT_MAGIC = 0x47535049; // "IPSG"
export const FOOTER_MAGIC = 0x58535049; // "IPSX"
export const SEGMENT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 16;
export const FOOTER_BYTES = 24;
export const FLAG_LATE = 1;
/** Bytes of an entry between its key and its block (flags, sequence). */
export const ENTRY_PREFIX_BYTES = 9;

/** One block as the index describes it. */
export interface IndexedBlock {
  /** Series key (device NUL channel). */
  key: string;
  late: boolean;
  /** Seal order: a later sequence wins where blocks overlap (last write wins). */
  sequence: number;
  /** Byte offset of the block in its segment file, and its length. */
  offset: number;
  length: number;
  /** The block's header bytes (a checksummed summary the codec parses). */
  header: Uint8Array;
}

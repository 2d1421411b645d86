// iotpipe: the telemetry pipeline's library entry. The codec is also available alone as `iotpipe/codec`.
export * from "./codec/index.js";
export { Archive } from "./archive/archive.js";
export type { ArchiveOptions, AppendResult } from "./archive/archive.js";
export type { ReadingColumns, EdgeBlocks } from "./archive/batch.js";
export { columnsFromArrow } from "./archive/batch.js";
export { ArchiveError } from "./archive/errors.js";
export type { ArchiveErrorCode } from "./archive/errors.js";
export type { ArchiveStats } from "./archive/state.js";
export type { Layout, PartitionWindow } from "./archive/layout.js";
export type { Registry, DeviceInfo, ChannelVersion, ValueType } from "./archive/registry.js";
export type { Query, QueryResult, QueryRow, QueryGroup, QueryPlan, Aggregate, VersionBoundary } from "./query/query.js";
export { finishQuery } from "./query/finish.js";
export type { QueryPart } from "./query/finish.js";
export type { CompactionReport } from "./archive/maintenance/compact.js";
export type { RetentionReport } from "./archive/maintenance/retention.js";
export type { IntegrityReport, IntegrityProblem } from "./archive/maintenance/verify.js";
export type { RebuildReport } from "./archive/maintenance/rebuild-index.js";

// iotpipe: the telemetry pipeline's library entry. Later stages (archive, ingest, analytics) add their
// public API here; the codec is also available alone as `iotpipe/codec`.
export * from "./codec/index.js";

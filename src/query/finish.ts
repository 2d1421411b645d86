// Finishing a query from the parts of one or many archives (partitions): merge the mergeable states,
// add up the plans, and compute the aggregates.
import { finish, type PartialExecution } from "./execute.js";
import { normalizeQuery, type Query, type QueryResult } from "./query.js";

/** The catalog's share of a query plan. */
export interface SourcePlan {
  partitionsInRange: number;
  partitionsOpened: number;
  segmentsRead: number;
  quarantinedSkipped: number;
}

/** One archive's mergeable contribution to a query. */
export interface QueryPart extends PartialExecution {
  sources: SourcePlan;
}

/** Merges the parts (one per archive) into the answer. */
export function finishQuery(query: Query, parts: readonly QueryPart[]): QueryResult {
  const q = normalizeQuery(query);
  if (typeof q === "string") throw new Error(`BUG: finishing an invalid query: ${q}`);
  const result = finish(q, parts);
  const sources: SourcePlan = { partitionsInRange: 0, partitionsOpened: 0, segmentsRead: 0, quarantinedSkipped: 0 };
  for (const p of parts) for (const k of Object.keys(sources) as (keyof SourcePlan)[]) sources[k] += p.sources[k];
  return { groups: result.groups, unit: result.unit, versions: result.versions, warnings: result.warnings, plan: { ...sources, ...result.plan } };
}

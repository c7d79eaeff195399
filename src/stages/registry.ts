/** Every mediation stage kind, listed explicitly (no registration by import side effect). */
import { castStage } from './cast.js';
import { dedupeStage } from './dedupe.js';
import { deriveStage } from './derive.js';
import { enrichStage } from './enrich.js';
import { filterStage } from './filter.js';
import { mapStage } from './map.js';
import { renameStage } from './rename.js';
import { splitStage } from './split.js';
import type { StageDefinition } from './stage.js';
import { validateStage } from './validate.js';

const STAGES: ReadonlyMap<string, StageDefinition<any>> = new Map(
  [validateStage, filterStage, deriveStage, mapStage, renameStage, castStage, dedupeStage, enrichStage, splitStage].map((s) => [s.kind, s]),
);

export function getStage(kind: string): StageDefinition<any> | undefined {
  return STAGES.get(kind);
}

export function allStages(): StageDefinition<any>[] {
  return [...STAGES.values()];
}

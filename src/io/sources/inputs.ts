/**
 * The inputs of a run, local or remote: local paths and globs are read in place; `s3://`, `kafka://`, `api://`
 * and `snowflake://` arguments are fetched by their source into the spool folder first (see source.ts). Inputs
 * keep the order of the arguments.
 */
import { resolveInputs, type InputFile } from './local-files.js';
import { remoteScheme, sourceFor, type SourceContext, type StreamOffset } from './source.js';

export interface RunInputs {
  files: InputFile[];
  /** Stream positions this run consumes, to store with it. */
  offsets: StreamOffset[];
}

export async function fetchInputs(args: string[], ctx: SourceContext): Promise<RunInputs> {
  const files: InputFile[] = [];
  const offsets: StreamOffset[] = [];
  for (const arg of args) {
    const scheme = remoteScheme(arg);
    if (scheme === null) {
      files.push(...(await resolveInputs([arg], ctx.declared, ctx.tempDir)));
      continue;
    }
    const fetched = await (await sourceFor(scheme)).fetch(arg, ctx);
    files.push(...fetched.files);
    offsets.push(...(fetched.offsets ?? []));
  }
  return { files, offsets };
}

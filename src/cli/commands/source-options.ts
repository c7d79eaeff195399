/** The command-line options that say where remote inputs come from: --profile, --s3-endpoint, --since, --until. */
import { loadProfile, type Profile } from '../../io/profile/profile.js';
import { UsageError } from '../errors.js';

export function sourceOptions(opts: Record<string, unknown>): { profile: Profile; since?: string; until?: string; s3Endpoint?: string } {
  const instant = (name: string, v: unknown): string | undefined => {
    if (v === undefined) return undefined;
    const text = String(v);
    if (Number.isNaN(Date.parse(text))) throw new UsageError(`--${name} must be an ISO 8601 instant such as 2026-10-01T00:00:00Z (got ${text})`);
    return new Date(text).toISOString();
  };
  const since = instant('since', opts.since);
  const until = instant('until', opts.until);
  if (since && until && since >= until) throw new UsageError(`--since ${since} is not before --until ${until}`);
  return {
    profile: loadProfile(opts.profile as string | undefined),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(opts.s3Endpoint ? { s3Endpoint: String(opts.s3Endpoint) } : {}),
  };
}

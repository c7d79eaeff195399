/**
 * Where each line of a group sits on its tier basis, after the included allowance.
 *
 * With tierBasis 'group' the lines, in the order the caller gives them (by version, then dimension values),
 * take consecutive slices of the group's running quantity c: line i covers (c[i−1], c[i]]. With 'version' the
 * same happens within each price version, whose lines form a basis of their own. With 'line', every line is
 * its own basis starting at 0. The included allowance N is consumed first on each basis, so
 * the billable positions are max(0, c − N). Slice-priced models then charge F(billableTo) − F(billableFrom),
 * which telescopes: the lines of a basis always sum to F(billable total).
 *
 * Example: N = 100, lines 80, 50, 40 on one group basis → running 80, 130, 170 → billable 0→0, 0→30, 30→70.
 */
import { ZERO, atLeastZero, type Decimal } from './decimal.js';
import type { BasisPosition } from './definition.js';
import type { ModelKind, TierBasis } from './types.js';

export function basisPositions(
  lines: readonly { quantity: Decimal; kind: ModelKind; version?: number }[],
  tierBasis: TierBasis,
  included: Decimal,
): BasisPosition[] {
  // The basis a line belongs to, numbered: the whole group (0), its price version (in order of first
  // appearance), or itself. Arrays rather than maps and sets: this runs once per group, millions of times, and
  // a group has one basis or a few.
  const versions: number[] = [];
  const basisOf = (i: number): number => {
    if (tierBasis === 'group') return 0;
    if (tierBasis === 'line') return i;
    const v = lines[i]!.version ?? 0;
    const at = versions.indexOf(v);
    return at >= 0 ? at : versions.push(v) - 1;
  };
  // Most charges include nothing: then a position is its own billable position (no subtraction per line).
  const billableAt = included.isZero() ? atLeastZero : (position: Decimal) => atLeastZero(position.minus(included));

  // Each line's slice (start, end] of its basis's running quantity; a basis's last end is its total.
  const running: Decimal[] = [];
  const slices = lines.map((line, i) => {
    const basis = basisOf(i);
    const start = running[basis] ?? ZERO;
    const end = start.plus(line.quantity);
    running[basis] = end;
    return { basis, start, end };
  });
  const billableTotals = running.map((total) => billableAt(total));

  const kindsSeen: ModelKind[] = [];
  const kindsSeenInBasis: ModelKind[][] = [];
  return lines.map((line, i) => {
    const { basis, start, end } = slices[i]!;
    const firstOfKindInGroup = !kindsSeen.includes(line.kind);
    if (firstOfKindInGroup) kindsSeen.push(line.kind);
    const kindsInBasis = (kindsSeenInBasis[basis] ??= []);
    const firstOfKindInBasis = !kindsInBasis.includes(line.kind);
    if (firstOfKindInBasis) kindsInBasis.push(line.kind);
    const billableFrom = billableAt(start);
    const billableTo = billableAt(end);
    return {
      quantity: line.quantity,
      billableFrom,
      billableTo,
      // Nothing included and nothing below zero: the slice is all billable, and end − start is the quantity, so
      // no subtraction is needed. That holds while the running sums are exact: a group's quantities come from
      // one meter at one scale (DECIMAL(38, s)), whose sums fit 60 digits; quantities more than 60 digits apart
      // in magnitude would round the sum and break it.
      billable: billableFrom === start && billableTo === end ? line.quantity : billableTo.minus(billableFrom),
      billableTotal: billableTotals[basis]!,
      firstOfKindInGroup,
      firstOfKindInBasis,
    };
  });
}

/**
 * Where each line of a group sits on its tier basis, after the included allowance.
 *
 * With tierBasis 'group' the lines, in the order the caller gives them (by version, then dimension values),
 * take consecutive slices of the group's running quantity c: line i covers (c[i−1], c[i]]. With 'line',
 * every line is its own basis starting at 0. The included allowance N is consumed first on each basis, so
 * the billable positions are max(0, c − N). Slice-priced models then charge F(billableTo) − F(billableFrom),
 * which telescopes: the lines of a basis always sum to F(billable total).
 *
 * Example: N = 100, lines 80, 50, 40 on one group basis → running 80, 130, 170 → billable 0→0, 0→30, 30→70.
 */
import { ZERO, maxOf, sumOf, type Decimal } from './decimal.js';
import type { BasisPosition } from './definition.js';
import type { ModelKind, TierBasis } from './types.js';

export function basisPositions(
  lines: readonly { quantity: Decimal; kind: ModelKind }[],
  tierBasis: TierBasis,
  included: Decimal,
): BasisPosition[] {
  const groupTotal = sumOf(lines.map((line) => line.quantity));
  const billableAt = (position: Decimal) => maxOf(ZERO, position.minus(included));
  const kindsSeen = new Set<ModelKind>();
  let runningBefore = ZERO;

  return lines.map((line) => {
    const firstOfKindInGroup = !kindsSeen.has(line.kind);
    kindsSeen.add(line.kind);
    const start = tierBasis === 'group' ? runningBefore : ZERO;
    const end = start.plus(line.quantity);
    runningBefore = runningBefore.plus(line.quantity);
    const billableFrom = billableAt(start);
    const billableTo = billableAt(end);
    return {
      quantity: line.quantity,
      billableFrom,
      billableTo,
      billable: billableTo.minus(billableFrom),
      billableTotal: billableAt(tierBasis === 'group' ? groupTotal : line.quantity),
      firstOfKindInGroup,
      firstOfKindInBasis: tierBasis === 'line' || firstOfKindInGroup,
    };
  });
}

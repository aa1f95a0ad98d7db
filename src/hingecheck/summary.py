"""What a coach says of a set's faults: each fault once, with the reps it happened on and the
worst of them (the terminal and the report's "summary" read this)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hingecheck.records import Fault


def worst(faults: list[Fault]) -> Fault:
    """The worst of some faults of one type: the highest severity, then the reading furthest
    past its threshold."""
    from hingecheck.faults import SEVERITY, fault_kind

    rank = {name: i for i, (name, _) in enumerate(SEVERITY)}
    return max(
        faults,
        key=lambda f: (rank.get(f.severity, -1), fault_kind(f.type).excess(f.value, f.threshold)),
    )


def rep_list(reps: list[int]) -> str:
    """Rep numbers as a coach lists them: "rep 5", "reps 1, 2, 4, 6-10"."""
    nums = sorted(set(reps))
    runs: list[list[int]] = []
    for n in nums:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts = [f"{r[0]}-{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs]
    return f"{'rep' if len(nums) == 1 else 'reps'} {', '.join(parts)}"


def fault_summary(faults: list[Fault]) -> list[dict[str, Any]]:
    """Each fault type said once, as a coach says it: the reps it happened on, the worst one
    with its reading, and the cue (the terminal and the report's "summary" read this)."""
    from hingecheck.faults import fault_kind

    out = []
    for ftype in dict.fromkeys(f.type for f in faults):  # in the order they first happened
        mine = [f for f in faults if f.type == ftype]
        w = worst(mine)
        reps = sorted({f.rep for f in mine})
        worst_of = f"worst: rep {w.rep}, " if len(reps) > 1 else ""
        said = f"{fault_kind(ftype).label} on {rep_list(reps)} ({worst_of}{w.detail or w.severity})"
        out.append({"type": ftype, "reps": reps, "worst_rep": w.rep, "text": said, "cue": w.cue})
    return out

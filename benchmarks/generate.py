"""Generate deterministic synthetic ICS mappings of any size, for benchmarks.

The same parameters always give the same files (a seeded random generator, sorted
output). A mapping has a catalogue of functions with dependencies, and per system:
places, neighbourhoods, an ICB with a committee per place, trusts, a collaborative,
allocations at system, place and neighbourhood level, delegations down the chain,
and a share of deliberate defects (unowned functions, gaps, cycles, bad dates) so that
`check` has findings to report.

    python benchmarks/generate.py --systems 1 -o /tmp/one-system          # about 20,000 triples
    python benchmarks/generate.py --preset 1m -o /tmp/national --ntriples  # about a million
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

PRESETS = {
    # name: (systems, places per system, neighbourhoods per place, functions)
    "one-system": (1, 10, 8, 200),
    "0.1m": (5, 10, 8, 200),
    "0.3m": (15, 10, 8, 200),
    "1m": (50, 10, 8, 200),
}
LEVELS = ("system", "place", "neighbourhood")


def _flow(mapping: dict) -> str:
    parts = []
    for key, value in mapping.items():
        if isinstance(value, list):
            value = "[" + ", ".join(value) + "]"
        elif isinstance(value, str) and (not value or any(c in value for c in ":,{}[]#&*!|>'\"%@`") or value[0] in "-? "):
            value = '"' + value.replace('"', '\\"') + '"'
        parts.append(f"{key}: {value}")
    return "  - {" + ", ".join(parts) + "}\n"


def _section(name: str, rows: list[dict]) -> str:
    return f"{name}:\n" + "".join(_flow(r) for r in rows) if rows else ""


def generate(out: Path, systems: int, places: int, neighbourhoods: int, functions: int,
             dependency_density: float = 1.5, defect_rate: float = 0.02, seed: int = 1) -> None:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    levels = {}
    catalogue = []
    for i in range(functions):
        lowest = rng.choice(LEVELS)
        minimum = rng.choice(LEVELS[: LEVELS.index(lowest) + 1])
        levels[i] = (lowest, minimum)
        catalogue.append({"id": f"f{i:04d}", "name": f"Function {i}", "category": f"Category {i % 9}",
                          "holder": "icb", "lowest_level": lowest, "minimum_level": minimum,
                          "icb_from": "2022-07-01", "synonyms": [f"F{i}"]})
    deps = []
    for i in range(functions):
        targets = sorted({rng.randrange(functions) for _ in range(int(dependency_density))} - {i})
        # Dependencies point to lower indices only, so there is no cycle unless a defect adds one.
        targets = [t for t in targets if t < i]
        if targets:
            deps.append({"function": f"f{i:04d}", "depends_on": [f"f{t:04d}" for t in targets]})
    if defect_rate > 0 and functions > 3:
        deps.append({"function": "f0000", "depends_on": ["f0001"]})  # one cycle: f0000 <-> f0001
        deps.append({"function": "f0001", "depends_on": ["f0000"]})
    national = [{"id": "england", "name": "England", "level": "national"},
                {"id": "region-1", "name": "Region 1", "level": "regional", "part_of": "england"}]
    (out / "catalogue.yaml").write_text(_section("functions", catalogue) + _section("dependencies", deps)
                                        + _section("areas", national), encoding="utf-8")
    for s in range(systems):
        sid = f"s{s:03d}"
        areas = [{"id": sid, "name": f"System {s}", "level": "system", "part_of": "region-1", "valid_from": "2022-07-01"}]
        bodies = [{"id": f"{sid}-icb", "name": f"NHS System {s} ICB", "type": "icb", "operates_in": [sid]}]
        trusts = []
        for t in range(3):
            kind = "nhs-trust-acute" if t < 2 else "nhs-trust-mental-health"
            trusts.append(f"{sid}-trust-{t}")
            bodies.append({"id": trusts[-1], "name": f"System {s} Trust {t}", "type": kind, "operates_in": [sid]})
        collaboratives = [{"id": f"{sid}-collab", "name": f"System {s} collaborative", "model": "lead-provider",
                           "members": trusts[:-1] if rng.random() < defect_rate * 10 else trusts, "lead": trusts[0]}]
        place_ids, hoods = [], {}
        for p in range(places):
            pid = f"{sid}-p{p}"
            place_ids.append(pid)
            areas.append({"id": pid, "name": f"System {s} Place {p}", "level": "place", "part_of": sid})
            bodies.append({"id": f"{pid}-committee", "name": f"System {s} Place {p} committee", "type": "place-committee",
                           "operates_in": [pid], "part_of": f"{sid}-icb"})
            bodies.append({"id": f"{pid}-council", "name": f"System {s} Place {p} council", "type": "local-authority", "operates_in": [pid]})
            hoods[pid] = []
            for n in range(neighbourhoods):
                nid = f"{pid}-n{n}"
                hoods[pid].append(nid)
                areas.append({"id": nid, "name": f"System {s} Place {p} Neighbourhood {n}", "level": "neighbourhood", "part_of": pid})
                bodies.append({"id": f"{nid}-pcn", "name": f"System {s} PCN {p}.{n}", "type": "pcn", "operates_in": [nid]})
        allocations, delegations = [], []
        for i, (_lowest, minimum) in levels.items():
            fid = f"f{i:04d}"
            if rng.random() < defect_rate:
                continue  # unowned in this system
            # At the minimum scale (the higher of the two floors) or, with a rationale, above it;
            # a few defects one level below it, on purpose.
            floor = LEVELS.index(minimum)
            where = minimum if rng.random() < 0.7 else rng.choice(LEVELS[: floor + 1])
            if rng.random() < defect_rate and floor + 1 < len(LEVELS):
                where = LEVELS[floor + 1]
            rationale = {"rationale": "scale"} if LEVELS.index(where) < floor else {}
            base = {"function": fid, "accountable": f"{sid}-icb", "status": "current", "effective_from": "2022-07-01"}
            if where == "system":
                allocations.append({**base, "area": sid, **rationale, "delivered_by": [f"{sid}-collab"]})
            else:
                for pid in place_ids:
                    if where == "place":
                        if rng.random() < defect_rate:
                            continue  # a coverage gap
                        allocations.append({**base, "area": pid, **rationale})
                        delegations.append({"function": fid, "from": f"{sid}-icb", "to": f"{pid}-committee", "area": pid,
                                            "instrument": "committee-of-board", "effective_from": "2022-07-01"})
                    else:
                        for nid in hoods[pid]:
                            allocations.append({**base, "area": nid})
        (out / f"{sid}.yaml").write_text(
            _section("areas", areas) + _section("bodies", bodies) + _section("collaboratives", collaboratives)
            + _section("allocations", allocations) + _section("delegations", delegations), encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", required=True, type=Path)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="one-system")
    parser.add_argument("--systems", type=int)
    parser.add_argument("--places", type=int)
    parser.add_argument("--neighbourhoods", type=int)
    parser.add_argument("--functions", type=int)
    parser.add_argument("--dependency-density", type=float, default=1.5)
    parser.add_argument("--defect-rate", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ntriples", action="store_true", help="also write graph.nt (the same graph as N-Triples)")
    args = parser.parse_args(argv)
    systems, places, hoods, functions = PRESETS[args.preset]
    generate(args.output, args.systems or systems, args.places or places, args.neighbourhoods or hoods,
             args.functions or functions, args.dependency_density, args.defect_rate, args.seed)
    if args.ntriples:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from ics_graph.loader import load_mapping
        from ics_graph.turtle import to_ntriples

        mapping = load_mapping([p for p in sorted(args.output.glob("*.yaml"))], with_ontology=False)
        (args.output / "graph.nt").write_text(to_ntriples(mapping.data_triples()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

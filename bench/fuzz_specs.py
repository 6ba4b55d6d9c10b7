"""Rule files that no SLA can break: 10,000 adversarial SLA documents (pledge.testing.fuzz, from the
examples) through what `pledge validate` runs, and every accepted document's rules through promtool
and vmalert.

Goals: 0 documents taking over 2 s (one in 50 holds alias bombs: pledge.testing.fuzz.bomb), 0
tracebacks, 0 problems without a field path, 0 documents refused only by the rule check (validation
let them through), 0 rule files that do not read back as written, and 0 documents
accepted but refused by promtool (check rules) or vmalert (-dryRun). Prints the time per document
and, as a ratio, against a reference measured in the same run: reading, validating, generating and
checking one unmodified example. Exits 1 when a goal is missed.

    PYTHONPATH=. python bench/fuzz_specs.py [--count 10000] [--seed 1] [--batch 200]
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import tempfile
import time
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from pledge.testing.local import ruler_refusals
from pledge.testing.fuzz import Outcome, batch_rules, batches, classify, culprits, documents

SHOWN = 3  # tracebacks and refusals printed in full
SLOW = 2.0  # seconds: no document may take longer (an alias bomb used to hang the reader)
ALIAS = re.compile(r"&[a-z0-9]+ [\[{]")  # the anchors pledge.testing.fuzz.laughs writes


def examples() -> tuple[list[dict[str, Any]], list[str]]:
    folder = files("pledge").joinpath("examples")
    texts = [f.read_text() for f in sorted(folder.iterdir(), key=lambda f: f.name) if f.name.endswith(".yaml")]
    return [yaml.safe_load(t) for t in texts], texts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=200, help="accepted documents per promtool/vmalert rule file")
    args = parser.parse_args()
    bases, texts = examples()

    for text in texts:  # once to warm up (imports, caches), then the reference: 10 passes
        outcome = classify(text)
        assert outcome.kind == "accepted", (outcome.kind, outcome.problems, outcome.error)
    start = time.perf_counter()
    for _ in range(10):
        for text in texts:
            classify(text)
    reference = (time.perf_counter() - start) / (10 * len(texts))

    generated = time.perf_counter()
    docs = documents(bases, args.count, args.seed)
    generating = time.perf_counter() - generated
    outcomes: list[Outcome] = []
    classifying = time.perf_counter()
    durations: list[float] = []
    for index, doc in enumerate(docs, 1):
        started = time.perf_counter()
        outcomes.append(classify(doc))
        durations.append(time.perf_counter() - started)
        if index % 1000 == 0 or index == len(docs):
            print(f"  {index:>6,} documents classified ({time.perf_counter() - classifying:.0f} s)", flush=True)
    classifying = time.perf_counter() - classifying

    kinds = collections.Counter(o.kind for o in outcomes)
    accepted = [o for o in outcomes if o.kind == "accepted"]
    refused: dict[str, list[tuple[Outcome, str]]] = {}
    checking = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pledge-fuzz-") as tmp:
        for name, refusal in ruler_refusals(Path(tmp)).items():
            refused[name] = [c for batch in batches(accepted, args.batch) for c in culprits(batch, refusal)]
            print(f"  {name}: {len(accepted):,} accepted documents checked in {len(batches(accepted, args.batch))} rule files", flush=True)
    checking = time.perf_counter() - checking

    for kind in ("traceback", "pathless", "late", "mismatch"):
        for outcome in [o for o in outcomes if o.kind == kind][:SHOWN]:
            print(f"\n--- {kind}: document\n{outcome.text[:3000]}\n--- {kind}: {outcome.error or outcome.problems}")
    for name, found in refused.items():
        for outcome, reason in found[:SHOWN]:
            print(f"\n--- refused by {name}: document\n{outcome.text[:3000]}\n--- rules\n{batch_rules([outcome])[:3000]}"
                  f"\n--- {name} says\n{reason}")

    per_document = classifying / len(docs)
    print(f"\ndocuments:                        {len(docs):>8,}  (seed {args.seed}, generated in {generating:.1f} s)")
    print(f"rejected with field paths:        {kinds['rejected']:>8,}")
    print(f"accepted:                         {kinds['accepted']:>8,}")
    bombs = [(o, d) for o, d in zip(outcomes, durations) if ALIAS.search(o.text)]
    for_aliases = sum(any("alias" in p for p in o.problems) for o, _ in bombs)
    print(f"with aliases (bomb shapes):       {len(bombs):>8,}  ({for_aliases:,} refused for their aliases, "
          f"slowest {max((d for _, d in bombs), default=0) * 1000:.1f} ms)")
    slowest = max(range(len(docs)), key=durations.__getitem__)
    print(f"slowest document:                 {durations[slowest] * 1000:>8.1f} ms  ({outcomes[slowest].kind})")
    figures = {
        f"runs over {SLOW:.0f} s": sum(d > SLOW for d in durations),
        "tracebacks": kinds["traceback"],
        "problems without a field path": kinds["pathless"],
        "refused only by the rule check": kinds["late"],
        "round-trip mismatches": kinds["mismatch"],
        "accepted, refused by promtool": len(refused["promtool"]),
        "accepted, refused by vmalert": len(refused["vmalert"]),
    }
    for label, value in figures.items():
        print(f"{label + ':':<34}{value:>8,}  (goal 0)")
    print(f"time per document (validate+generate+check): {per_document * 1000:.2f} ms; "
          f"{per_document / reference:.2f}x the reference ({reference * 1000:.2f} ms per unmodified example)")
    print(f"promtool + vmalert on accepted documents: {checking:.1f} s "
          f"({checking / max(len(accepted), 1) * 1000:.2f} ms per accepted document)")
    missed = [label for label, value in figures.items() if value]
    print("goals: " + ("all met" if not missed else "MISSED: " + ", ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Per-tensor comparison of two imatrix GGUF files (issue 18): rel-L2 of the in_sum2 sums
(‖a − b‖₂ / ‖b‖₂, b the reference), counts and metadata. Prints a JSON summary.
Usage: imatrix_compare.py OURS.gguf REFERENCE.gguf"""
import json
import sys

import gguf
import numpy as np


def load(path):
    reader = gguf.GGUFReader(path)
    tensors = {t.name: np.array(t.data, dtype=np.float64) for t in reader.tensors}
    meta = {k: f.contents() for k, f in reader.fields.items() if k.startswith("imatrix.")}
    return tensors, meta


ours, ours_meta = load(sys.argv[1])
ref, ref_meta = load(sys.argv[2])
errors = {}
for name in sorted(ref):
    if name.endswith(".in_sum2") and name in ours:
        errors[name[: -len(".in_sum2")]] = float(np.linalg.norm(ours[name] - ref[name]) / np.linalg.norm(ref[name]))
counts_equal = all(name in ours and np.array_equal(ours[name], ref[name]) for name in ref if name.endswith(".counts"))
worst = max(errors, key=errors.get) if errors else None
print(json.dumps({
    "tensors_reference": sum(n.endswith(".in_sum2") for n in ref),
    "tensors_ours": sum(n.endswith(".in_sum2") for n in ours),
    "same_names": sorted(ours) == sorted(ref),
    "counts_equal": counts_equal,
    "max_rel_l2": errors[worst] if worst else None,
    "worst_tensor": worst,
    "median_rel_l2": float(np.median(list(errors.values()))) if errors else None,
    "metadata_ours": {k: v for k, v in ours_meta.items() if k != "imatrix.datasets"},
    "metadata_reference": {k: v for k, v in ref_meta.items() if k != "imatrix.datasets"},
}))

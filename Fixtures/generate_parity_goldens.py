"""Parity-metric goldens for MPTReference's ParityMetrics, computed with torch in float64.

Reference = models/<m>/reference/logits_f64.npy, candidate = logits_f32.npy (both made by
Fixtures/generate.py).  Writes goldens/parity/<m>.json.  Run: python3 Fixtures/generate_parity_goldens.py
"""
import json, pathlib
import numpy as np, torch

root = pathlib.Path(__file__).resolve().parent
for name in ["mpt-4h-f32", "mpt-6h-clip-bf16", "mpt-trained-d256"]:
    ref_dir = root / "models" / name / "reference"
    ref = torch.from_numpy(np.load(ref_dir / "logits_f64.npy")).double()
    cand = torch.from_numpy(np.load(ref_dir / "logits_f32.npy")).double()
    tokens = torch.tensor(json.loads((ref_dir / "tokens.json").read_text()))
    lp, lq = torch.log_softmax(ref, -1), torch.log_softmax(cand, -1)
    kl = torch.nn.functional.kl_div(lq, lp, log_target=True, reduction="none").sum(-1).mean()
    ppl = lambda l: float(torch.exp(torch.nn.functional.cross_entropy(l[:-1], tokens[1:])))
    out = {
        "reference": f"models/{name}/reference/logits_f64.npy",
        "candidate": f"models/{name}/reference/logits_f32.npy",
        "max_abs_diff": float((ref - cand).abs().max()),
        "relative_l2": float(torch.linalg.norm(ref - cand) / torch.linalg.norm(ref)),
        "mean_kl": float(kl),
        "top1_agreement": float((ref.argmax(-1) == cand.argmax(-1)).double().mean()),
        "reference_perplexity": ppl(ref),
        "candidate_perplexity": ppl(cand),
        "perplexity_of_shuffled_candidate": ppl(cand.flip(-1)),
        "top1_agreement_shuffled": float((ref.argmax(-1) == cand.flip(-1).argmax(-1)).double().mean()),
        "mean_kl_shuffled": float(torch.nn.functional.kl_div(torch.log_softmax(cand.flip(-1), -1), lp, log_target=True, reduction="none").sum(-1).mean()),
        "torch": torch.__version__,
    }
    (root / "goldens" / "parity" / f"{name}.json").write_text(json.dumps(out, indent=2) + "\n")
    print(name, out)

"""Float64 logits of Fixtures/models/mpt-4h-f32 with llm-foundry's `ffn_act_fn: {name: gelu,
approximate: tanh}` (torch.nn.GELU(approximate="tanh") in the MLP), from generate.py's float64
re-implementation of the MosaicML forward with the activation swapped for torch's tanh formula.

    python Fixtures/scripts/gelu_tanh_golden.py   # writes Fixtures/goldens/gelu_tanh/
"""
import json
import math
import pathlib
import sys

import numpy as np
from safetensors.numpy import load_file

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import generate  # noqa: E402

MODEL = ROOT / "models" / "mpt-4h-f32"
OUT = ROOT / "goldens" / "gelu_tanh"


def gelu_tanh(x):
    """torch.nn.GELU(approximate="tanh"): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def main():
    tokens = json.loads((MODEL / "reference" / "tokens.json").read_text())
    config = json.loads((MODEL / "config.json").read_text())
    weights = {k: v.astype(np.float64) for k, v in load_file(MODEL / "model.safetensors").items()}
    cfg = {"d_model": config["d_model"], "n_heads": config["n_heads"], "n_layers": config["n_layers"],
           "alibi_bias_max": config["attn_config"].get("alibi_bias_max", 8)}
    reference_erf = generate.np_mpt_forward(weights, cfg, tokens)
    stored = np.load(MODEL / "reference" / "logits_f64.npy")
    assert generate.rel_l2(reference_erf, stored) < 1e-12, "the float64 re-implementation no longer matches"
    generate.gelu_erf = gelu_tanh
    logits = generate.np_mpt_forward(weights, cfg, tokens)
    OUT.mkdir(parents=True, exist_ok=True)
    np.save(OUT / "mpt-4h-f32-logits_f64.npy", logits)
    print("wrote", OUT, logits.shape, "rel-L2 vs erf", generate.rel_l2(logits, reference_erf))


if __name__ == "__main__":
    main()

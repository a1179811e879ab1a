"""Greedy continuations of Fixtures/models/mpt-neox-tok-f16 by HF transformers (the peer) in float32 and float64.

Usage: python3 Fixtures/scripts/hf_greedy_golden.py Fixtures/models/mpt-neox-tok-f16 > raw.json; the committed
goldens/generate/hf_greedy_mpt-neox-tok-f16.json keeps the float32 cases (float64 gives the same ids)."""
import json, sys, torch
from transformers import AutoTokenizer, MptForCausalLM
d = sys.argv[1]
tok = AutoTokenizer.from_pretrained(d)
out = {"model": "mpt-neox-tok-f16", "max_new_tokens": 32, "cases": []}
prompts = [open(d + "/reference/prompt.txt").read(), "Once upon a time, there was", "The capital of France is"]
for dtype in (torch.float32, torch.float64):
    torch.set_default_dtype(dtype)
    m = MptForCausalLM.from_pretrained(d, torch_dtype=dtype).eval()
    for p in prompts:
        ids = tok(p, return_tensors="pt").input_ids
        with torch.no_grad():
            g = m.generate(ids, max_new_tokens=32, do_sample=False, num_beams=1, eos_token_id=None, pad_token_id=0, use_cache=True)
            # margins along the trajectory (full forward, no cache)
            logits = m(g).logits[0, ids.shape[1]-1:-1].double()
        top2 = logits.topk(2, dim=-1).values
        out["cases"].append({"dtype": str(dtype), "prompt": p, "prompt_ids": ids[0].tolist(),
                             "generated": g[0, ids.shape[1]:].tolist(),
                             "min_margin": float((top2[:, 0] - top2[:, 1]).min())})
print(json.dumps(out, indent=1))

"""Peer check for mpt-convert outputs: HF transformers (+ bitsandbytes) must load what we write.

Usage:
    python3 Fixtures/scripts/check_transformers_load.py SOURCE_DIR CONVERTED_DIR [CONVERTED_DIR ...]

For each converted directory:
  * bf16/f16/f32 outputs: MptForCausalLM.from_pretrained(converted) must hold exactly the source
    weights cast by torch to that dtype (bit for bit, every tensor).
  * NF4 / int8 outputs (config.json has quantization_config): transformers loads them with
    bitsandbytes on CPU; every quantized weight must equal bitsandbytes' own quantization of the
    source weight (packed bytes, absmax / SCB, and the dequantized values).
Prints one line per check and exits non-zero on any mismatch.

Needs accelerate too (from_pretrained with device_map). Last run (mpt-4h-f32 and mpt-6h-clip-bf16,
each to bf16, f16, NF4 and int8; all OK): transformers 4.57.6 and 5.24.0, each with torch
2.13.0+cpu (2.15.0 from PyPI pulls the CUDA stack), bitsandbytes 0.50.2, accelerate 1.15.0.
"""
import json
import sys

import torch
from transformers import MptForCausalLM

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def load_source(path):
    model = MptForCausalLM.from_pretrained(path, torch_dtype=torch.float32)
    return {k: v.detach() for k, v in model.state_dict().items()}


def check_dense(source, converted, dtype):
    model = MptForCausalLM.from_pretrained(converted, torch_dtype=dtype)
    bad = 0
    for name, value in model.state_dict().items():
        expected = source[name].to(dtype)
        if value.dtype != dtype or not torch.equal(value.view(torch.int16 if dtype != torch.float32 else torch.int32),
                                                     expected.view(torch.int16 if dtype != torch.float32 else torch.int32)):
            print(f"MISMATCH {name}")
            bad += 1
    print(f"{'OK' if bad == 0 else 'FAIL'} dense {converted}: {len(model.state_dict())} tensors, {bad} mismatches ({dtype})")
    return bad


def check_quantized(source, converted, config):
    import bitsandbytes as bnb
    import bitsandbytes.functional as F

    quant = config["quantization_config"]
    model = MptForCausalLM.from_pretrained(converted, device_map="cpu")
    bad = 0
    checked = 0
    for module_name, module in model.named_modules():
        if isinstance(module, bnb.nn.Linear4bit):
            weight = module.weight
            reference = source[module_name + ".weight"].to(DTYPES[quant["bnb_4bit_compute_dtype"]])
            packed, state = F.quantize_4bit(reference, blocksize=weight.quant_state.blocksize, quant_type="nf4",
                                            compress_statistics=quant["bnb_4bit_use_double_quant"])
            ours = F.dequantize_4bit(weight.data, weight.quant_state)
            theirs = F.dequantize_4bit(packed, state)
            same_bytes = torch.equal(weight.data.view(-1), packed.view(-1))
            same_values = torch.equal(ours, theirs)
            checked += 1
            if not (same_bytes and same_values):
                print(f"MISMATCH {module_name}: packed equal={same_bytes} dequantized equal={same_values}")
                bad += 1
        elif isinstance(module, bnb.nn.Linear8bitLt):
            weight = module.weight
            reference = source[module_name + ".weight"].to(torch.float16)
            codes, scb, _ = F.int8_vectorwise_quant(reference)
            same = torch.equal(weight.data.view(torch.int8), codes) and torch.equal(weight.SCB, scb)
            checked += 1
            if not same:
                print(f"MISMATCH {module_name}: int8 codes/SCB differ")
                bad += 1
    print(f"{'OK' if bad == 0 and checked > 0 else 'FAIL'} quantized {converted}: {checked} quantized modules, {bad} mismatches")
    return bad + (1 if checked == 0 else 0)


def main():
    source_dir, converted_dirs = sys.argv[1], sys.argv[2:]
    source = load_source(source_dir)
    failures = 0
    for converted in converted_dirs:
        with open(f"{converted}/config.json") as handle:
            config = json.load(handle)
        if "quantization_config" in config:
            failures += check_quantized(source, converted, config)
        else:
            failures += check_dense(source, converted, DTYPES[config["torch_dtype"]])
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

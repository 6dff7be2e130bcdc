"""Where a dimension's DecodingTrust files are: the user's `--dt-data` folder, or its folder of the HF dataset."""

from __future__ import annotations

from pathlib import Path

from .files import HF_REPO, DTDataError, hf_available
from .slice import slice_for


def fetch_hf(dimension: str, cache_dir: Path | None = None, revision: str | None = None) -> Path:
    """Download one dimension's folder of the HF dataset; returns a root laid out like `data/`.

    Only that dimension's folder is fetched, so a missing dimension upstream blocks no other.
    """
    from huggingface_hub import snapshot_download

    folder = slice_for(dimension).folder
    try:
        root = snapshot_download(
            HF_REPO,
            repo_type="dataset",
            revision=revision,
            cache_dir=cache_dir,
            allow_patterns=[f"{folder}/*", f"{folder}/**"],
        )
    except Exception as e:  # network, auth, missing revision: all block only this dimension
        raise DTDataError(dimension, f"hf://datasets/{HF_REPO}/{folder}", f"download failed: {e}") from None
    return Path(str(root))


def data_root(dimension: str, dt_data: Path | None, cache_dir: Path | None = None) -> Path:
    """Where a dimension's files are: the `--dt-data` folder when given, else the HF dataset when reachable."""
    if dt_data is not None:
        return Path(dt_data)
    ok, why = hf_available()
    if not ok:
        raise DTDataError(dimension, f"hf://datasets/{HF_REPO}", f"no --dt-data folder given, and {why}")
    return fetch_hf(dimension, cache_dir)

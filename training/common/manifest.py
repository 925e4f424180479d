"""The model pack's manifest.json (docs/model-pack.md): every file with its role, contract, dtype and sha256.

Several exporters write into one pack (the prior, later the generator); each updates its own files and its own
top-level section and keeps the others', so the order of exports does not matter.
"""
import hashlib
import json
from pathlib import Path
from typing import Dict

FORMAT = "scaledreamer-model-pack"
FORMAT_VERSION = 1


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_entry(pack: Path, name: str, role: str, **contract) -> Dict:
    """An entry for pack/name: role, bytes, sha256 and the caller's contract fields (format, dtype, inputs ...)."""
    path = Path(pack) / name
    return {"role": role, "bytes": path.stat().st_size, "sha256": sha256(path), **contract}


def update_manifest(pack: Path, section: str, meta: Dict, files: Dict[str, Dict], name: str = "default") -> Dict:
    """Replace `section` and the given files in pack/manifest.json, keeping everything else; returns the manifest."""
    path = Path(pack) / "manifest.json"
    manifest = json.loads(path.read_text()) if path.exists() else {}
    if manifest and (manifest.get("format"), manifest.get("format_version")) != (FORMAT, FORMAT_VERSION):
        raise ValueError(f"{path} is not a {FORMAT} v{FORMAT_VERSION} manifest")
    manifest.update({"format": FORMAT, "format_version": FORMAT_VERSION, "name": manifest.get("name", name)})
    manifest[section] = meta
    manifest["files"] = {**{k: v for k, v in manifest.get("files", {}).items() if k not in files}, **files}
    manifest["files"] = dict(sorted(manifest["files"].items()))
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest

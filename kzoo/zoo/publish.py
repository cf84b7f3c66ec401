"""Publishing a trained model as a Hub repo: folder, model card, deterministic commit, bundle.

The published repositories live in the project's `hub/` folder as one git bundle per repository
(`hub/models/<namespace>/<name>.bundle`): a nested `.git` cannot be committed, a bundle can, and
`git` checks its integrity when it is unpacked. `kzoo hub serve` (and the test fixture) unpack the
bundles into the `mirrors-path` layout olah serves (`<root>/models/<namespace>/<name>`, bare repos).

Commits are made with git plumbing under a fixed author, committer and date (and no user config),
so the same files on the same parent give the same commit sha on any machine.

olah 0.5.4 quirk handled here: it reads every blob of 121..149 bytes as a possible git-lfs pointer
and decodes it as UTF-8 (`olah/mirror/repos.py`, `_get_path_info`, `get_file_head`, `get_file`), so
one non-UTF-8 file of that size makes HEAD/GET of that file *and* the tree listing of the whole
revision answer 500; `README.md` is decoded as UTF-8 at any size. Keras' files (ASCII JSON, an HDF5
file of kilobytes) never hit it; `publish` refuses any file that would, naming it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from kzoo.zoo.card import render_card
from kzoo.zoo.errors import PublishError
from kzoo.zoo.hub import sha256_of
from kzoo.zoo.manifest import Manifest
from kzoo.zoo.model_entry import ModelEntry

PUBLISH_DATE = "2025-01-01T00:00:00+00:00"
AUTHOR = ("kzoo", "kzoo@users.noreply.huggingface.co")
MODEL_FILES = ("config.json", "metadata.json", "model.weights.h5")
OLAH_LFS_PROBE = range(121, 150)


def default_hub_dir() -> Path:
    env = os.environ.get("KZOO_HUB_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "hub"


def bundle_path(hub_dir: str | os.PathLike, repo_id: str) -> Path:
    namespace, name = repo_id.split("/")
    return Path(hub_dir) / "models" / namespace / f"{name}.bundle"


def _git(*args: str, cwd: str | os.PathLike | None = None, env: dict | None = None) -> str:
    base = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": AUTHOR[0],
        "GIT_AUTHOR_EMAIL": AUTHOR[1],
        "GIT_COMMITTER_NAME": AUTHOR[0],
        "GIT_COMMITTER_EMAIL": AUTHOR[1],
        "GIT_TERMINAL_PROMPT": "0",
    }
    base.update(env or {})
    result = subprocess.run(["git", *args], cwd=cwd, env=base, capture_output=True, text=True)
    if result.returncode != 0:
        raise PublishError(
            f"git {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}"
        )
    return result.stdout.strip()


def unpack_bundle(bundle: str | os.PathLike, dest: str | os.PathLike) -> Path:
    """Unpacks a repository bundle into a bare repository at `dest` (HEAD → main)."""
    dest = Path(dest)
    _git("init", "--bare", "-q", "-b", "main", str(dest))
    _git("bundle", "verify", "-q", str(bundle), cwd=dest)
    _git(
        "fetch",
        "-q",
        str(bundle),
        "+refs/heads/*:refs/heads/*",
        "+refs/tags/*:refs/tags/*",
        cwd=dest,
    )
    _git("symbolic-ref", "HEAD", "refs/heads/main", cwd=dest)
    return dest


def unpack_hub(hub_dir: str | os.PathLike, mirrors: str | os.PathLike) -> list[str]:
    """Unpacks `hub/models/<ns>/<name>.bundle` into `mirrors/models/<ns>/<name>`; the repo ids."""
    repo_ids = []
    for bundle in sorted(Path(hub_dir).glob("models/*/*.bundle")):
        repo_id = f"{bundle.parent.name}/{bundle.name[: -len('.bundle')]}"
        unpack_bundle(bundle, Path(mirrors) / "models" / repo_id)
        repo_ids.append(repo_id)
    return repo_ids


def commit_folder(
    bare: str | os.PathLike,
    folder: str | os.PathLike,
    message: str,
    *,
    tag: str | None = None,
    date: str = PUBLISH_DATE,
) -> str:
    """Commits `folder`'s files as the next commit of `main` in the bare repo; returns the sha.

    Same files, parent, message and date → same sha; an unchanged tree makes no new commit.
    """
    bare = Path(bare)
    if not (bare / "HEAD").exists():
        _git("init", "--bare", "-q", "-b", "main", str(bare))
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "GIT_INDEX_FILE": os.path.join(tmp, "index"),
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
        }
        gd = ["--git-dir", str(bare), "--work-tree", str(folder)]
        _git(*gd, "add", "-A", "--", ".", env=env)
        tree = _git(*gd, "write-tree", env=env)
        try:
            parent = _git("--git-dir", str(bare), "rev-parse", "--verify", "-q", "refs/heads/main")
        except PublishError:
            parent = None
        if parent and _git("--git-dir", str(bare), "rev-parse", f"{parent}^{{tree}}") == tree:
            sha = parent
        else:
            args = ["--git-dir", str(bare), "commit-tree", tree, "-m", message]
            if parent:
                args += ["-p", parent]
            sha = _git(*args, env=env)
            _git("--git-dir", str(bare), "update-ref", "refs/heads/main", sha)
    if tag:
        _git("--git-dir", str(bare), "tag", "-f", tag, sha)
    return sha


def check_olah_safe(folder: str | os.PathLike) -> None:
    """Raises PublishError for a file olah would answer with 500 (see the module docstring)."""
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.name == "README.md" or len(data) in OLAH_LFS_PROBE:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                raise PublishError(
                    f"{path.relative_to(folder)} is {len(data)} bytes and not UTF-8: "
                    "olah decodes every "
                    "blob of 121..149 bytes (and README.md) as UTF-8 text and answers 500 for the "
                    "file and "
                    "for the whole revision's tree listing. Write it as UTF-8, or change its size."
                ) from None


def stable_shared_ids(config: Any) -> Any:
    """Renumbers Keras' `shared_object_id`s (Python `id()`s, different in every process) 1, 2, ...

    in order of first appearance, so the same model gives the same config.json everywhere.
    """
    mapping: dict[Any, int] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if k == "shared_object_id" and v is not None:
                    out[k] = mapping.setdefault(v, len(mapping) + 1)
                else:
                    out[k] = walk(v)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(config)


def write_repo_folder(
    model: Any, key: str, data: dict[str, Any], folder: str | os.PathLike, date: str = PUBLISH_DATE
) -> dict[str, dict[str, Any]]:
    """Writes config.json, metadata.json, model.weights.h5 (Keras' HF layout) and README.md."""
    import keras

    folder = Path(folder)
    model.save(str(folder), zipped=False)
    config = folder / "config.json"
    config.write_text(
        json.dumps(stable_shared_ids(json.loads(config.read_text(encoding="utf-8")))),
        encoding="utf-8",
    )
    stamp = date[:10] + "@" + date[11:19]
    (folder / "metadata.json").write_text(
        json.dumps({"keras_version": keras.__version__, "date_saved": stamp}), encoding="utf-8"
    )
    for sub in folder.iterdir():
        if sub.is_dir() and not any(sub.iterdir()):
            sub.rmdir()  # an empty assets/ folder: git does not keep empty folders anyway
    extra = sorted(p.name for p in folder.iterdir() if p.name not in MODEL_FILES)
    if extra:
        raise PublishError(
            f"Keras wrote files kzoo does not publish yet: {extra} (assets are not supported)."
        )
    files = {
        f: {"sha256": sha256_of(folder / f), "size": (folder / f).stat().st_size}
        for f in MODEL_FILES
    }
    (folder / "README.md").write_text(render_card(key, {**data, "files": files}), encoding="utf-8")
    check_olah_safe(folder)
    return files


def publish(
    model: Any,
    key: str,
    entry: dict[str, Any] | None = None,
    *,
    manifest: Manifest | str | None = None,
    hub_dir: str | os.PathLike | None = None,
    tag: str | None = None,
    default: bool = False,
    date: str = PUBLISH_DATE,
    out_dir: str | os.PathLike | None = None,
    hub: bool = False,
    token: str | None = None,
) -> ModelEntry:
    """Publishes `model` as the zoo entry `key` and pins the commit in the manifest.

    Args:
        model: the trained Keras model (its outputs in the order of the entry's `outputs`).
        key: `name.tag`.
        entry: manifest fields (architecture, input, outputs, metrics, recipe, ...); merged over the
            manifest's existing entry. `repo_id` defaults to `kzoo/<key>`.
        manifest: the manifest to update (default: the project's).
        hub_dir: where the bundles live (default: the project's `hub/`).
        tag: a git tag to point at the commit (e.g. `v1`).
        default: make this tag the name's default.
        date: the fixed author/committer date.
        out_dir: keep a copy of the repository folder there.
        hub: also upload to the Hugging Face Hub (needs a token and network; see `push_to_hub`).
        token: the Hub token (default: the logged-in one).

    Example:
        >>> publish(model, "sphereface_resnet20.fashion_mnist", tag="v1")
    """
    manifest = manifest if isinstance(manifest, Manifest) else Manifest.load(manifest)
    hub_dir = Path(hub_dir) if hub_dir is not None else default_hub_dir()
    data = manifest.entries[key].to_dict() if key in manifest.entries else {}
    data.update(entry or {})
    data.setdefault("repo_id", f"kzoo/{key}")
    data["revision"] = None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "repo"
        data["files"] = write_repo_folder(model, key, data, folder, date)
        manifest.set_entry(key, data, default=default)  # validates before anything is committed
        bare = Path(tmp) / "bare"
        bundle = bundle_path(hub_dir, data["repo_id"])
        if bundle.exists():
            unpack_bundle(bundle, bare)
        sha = commit_folder(bare, folder, f"Publish {key}", tag=tag, date=date)
        write_bundle(bare, bundle)
        if out_dir is not None:
            shutil.copytree(folder, out_dir, dirs_exist_ok=True)
        data["revision"] = sha
        if hub:
            data["hub_revision"] = push_to_hub(folder, data["repo_id"], tag=tag, token=token)
    result = manifest.set_entry(key, data, default=default)
    manifest.save()
    return result


def refresh_card(
    key: str,
    *,
    manifest: Manifest | str | None = None,
    hub_dir: str | os.PathLike | None = None,
    tag: str | None = None,
    date: str = PUBLISH_DATE,
) -> ModelEntry:
    """Re-renders a published entry's README.md from the manifest (e.g. after `kzoo eval --record`
    or `kzoo export --record`) and commits it on top of the pinned commit; the model files are
    kept and checked against the manifest's sha256 first. Pins the new commit.
    """
    manifest = manifest if isinstance(manifest, Manifest) else Manifest.load(manifest)
    hub_dir = Path(hub_dir) if hub_dir is not None else default_hub_dir()
    entry = manifest.resolve(key)
    data = entry.to_dict()
    bundle = bundle_path(hub_dir, data["repo_id"])
    if not data.get("revision") or not bundle.exists():
        raise PublishError(f"{entry.key} is not published yet (no revision or no {bundle}).")
    with tempfile.TemporaryDirectory() as tmp:
        bare, folder = Path(tmp) / "bare", Path(tmp) / "repo"
        unpack_bundle(bundle, bare)
        main = _git("--git-dir", str(bare), "rev-parse", "refs/heads/main")
        if main != data["revision"]:
            raise PublishError(
                f"{entry.key}: the manifest pins {data['revision']} but the bundle's main is "
                f"{main}; publish the model again instead."
            )
        folder.mkdir()
        _git("--git-dir", str(bare), "--work-tree", str(folder), "checkout", "-f", main, "--", ".")
        for name, spec in data["files"].items():
            if sha256_of(folder / name) != spec["sha256"]:
                raise PublishError(
                    f"{entry.key}: {name} in the bundle does not match the manifest."
                )
        (folder / "README.md").write_text(render_card(entry.key, data), encoding="utf-8")
        check_olah_safe(folder)
        data["revision"] = commit_folder(
            bare, folder, f"Update the model card of {entry.key}", tag=tag, date=date
        )
        write_bundle(bare, bundle)
    result = manifest.set_entry(entry.key, data)
    manifest.save()
    return result


def write_bundle(bare: str | os.PathLike, bundle: str | os.PathLike) -> Path:
    """Writes every ref of the bare repo to `bundle` (kept as is when its refs are the same)."""
    bundle = Path(bundle)
    bundle.parent.mkdir(parents=True, exist_ok=True)
    new = Path(f"{bundle}.tmp")
    _git("bundle", "create", "-q", str(new), "--all", cwd=bare)
    if bundle.exists() and _refs(bundle) == _refs(new):
        new.unlink()
    else:
        os.replace(new, bundle)
    return bundle


def _refs(bundle: Path) -> str:
    return _git("bundle", "list-heads", str(bundle))


def push_to_hub(
    folder: str | os.PathLike, repo_id: str, *, tag: str | None = None, token: str | None = None
) -> str:
    """Uploads the folder with `HfApi` (create_repo, upload_folder, create_tag); returns the commit.

    Untested here (no network, no token): kept to these three calls. The Hub makes its own commit,
    so
    its sha differs from the mirror's deterministic one; the manifest keeps both (`revision` for the
    mirror, `hub_revision` used when HF_ENDPOINT is huggingface.co); the files' sha256 are the same.
    """
    import huggingface_hub

    token = token or huggingface_hub.get_token()
    if not token:
        raise PublishError("--hub needs a Hugging Face token: run `hf auth login` or set HF_TOKEN.")
    api = huggingface_hub.HfApi(token=token, library_name="kzoo")
    api.create_repo(repo_id, exist_ok=True)
    info = api.upload_folder(
        repo_id=repo_id, folder_path=str(folder), commit_message=f"Publish {repo_id}"
    )
    if tag:
        api.create_tag(repo_id, tag=tag, revision=info.oid, exist_ok=True)
    return info.oid

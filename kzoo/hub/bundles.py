"""The published repositories as git bundles, and deterministic commits into them.

The published repositories live in the project's `hub/` folder as one git bundle per repository
(`hub/models/<namespace>/<name>.bundle`): a nested `.git` cannot be committed, a bundle can, and
`git` checks its integrity when it is unpacked. `kzoo hub serve` (and the test fixture) unpack the
bundles into the `mirrors-path` layout olah serves (`<root>/models/<namespace>/<name>`, bare repos).

Commits are made with git plumbing under a fixed author, committer and date (and no user config),
so the same files on the same parent give the same commit sha on any machine.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from kzoo.hub.errors import PublishError

PUBLISH_DATE = "2025-01-01T00:00:00+00:00"
AUTHOR = ("kzoo", "kzoo@users.noreply.huggingface.co")


def default_hub_dir() -> Path:
    env = os.environ.get("KZOO_HUB_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "hub"


def bundle_path(hub_dir: str | os.PathLike, repo_id: str) -> Path:
    namespace, name = repo_id.split("/")
    return Path(hub_dir) / "models" / namespace / f"{name}.bundle"


def git(*args: str, cwd: str | os.PathLike | None = None, env: dict | None = None) -> str:
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
    git("init", "--bare", "-q", "-b", "main", str(dest))
    git("bundle", "verify", "-q", str(bundle), cwd=dest)
    git(
        "fetch",
        "-q",
        str(bundle),
        "+refs/heads/*:refs/heads/*",
        "+refs/tags/*:refs/tags/*",
        cwd=dest,
    )
    git("symbolic-ref", "HEAD", "refs/heads/main", cwd=dest)
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
        git("init", "--bare", "-q", "-b", "main", str(bare))
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "GIT_INDEX_FILE": os.path.join(tmp, "index"),
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
        }
        gd = ["--git-dir", str(bare), "--work-tree", str(folder)]
        git(*gd, "add", "-A", "--", ".", env=env)
        tree = git(*gd, "write-tree", env=env)
        try:
            parent = git("--git-dir", str(bare), "rev-parse", "--verify", "-q", "refs/heads/main")
        except PublishError:
            parent = None
        if parent and git("--git-dir", str(bare), "rev-parse", f"{parent}^{{tree}}") == tree:
            sha = parent
        else:
            args = ["--git-dir", str(bare), "commit-tree", tree, "-m", message]
            if parent:
                args += ["-p", parent]
            sha = git(*args, env=env)
            git("--git-dir", str(bare), "update-ref", "refs/heads/main", sha)
    if tag:
        git("--git-dir", str(bare), "tag", "-f", tag, sha)
    return sha


def write_bundle(bare: str | os.PathLike, bundle: str | os.PathLike) -> Path:
    """Writes every ref of the bare repo to `bundle` (kept as is when its refs are the same)."""
    bundle = Path(bundle)
    bundle.parent.mkdir(parents=True, exist_ok=True)
    new = Path(f"{bundle}.tmp")
    git("bundle", "create", "-q", str(new), "--all", cwd=bare)
    if bundle.exists() and _refs(bundle) == _refs(new):
        new.unlink()
    else:
        os.replace(new, bundle)
    return bundle


def _refs(bundle: Path) -> str:
    return git("bundle", "list-heads", str(bundle))

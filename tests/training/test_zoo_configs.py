"""Every zoo entry is a config of the engine: the same architecture and the recorded command's
hyper-parameters (`training/configs/<key>.toml` against `weights_manifest.json`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kzoo.training import config_from_dict, load_config
from kzoo.training.objectives import architecture, build_model
from kzoo.zoo import Manifest, get_builder

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "training" / "configs"
ENTRIES = Manifest.load(ROOT / "weights_manifest.json").entries
KEYS = sorted(ENTRIES)

# old recipe argument -> (config path, how the recipe's value reads in the config)
SAME = lambda v: v  # noqa: E731
MARGIN_HEADS = {
    "head": ("model.head", SAME),
    "dataset": ("data.dataset", SAME),
    "embedding_dim": ("model.embedding_dim", SAME),
    "epochs": ("schedule.epochs", SAME),
    "batch_size": ("schedule.batch_size", SAME),
    "lr": ("optimizer.lr", SAME),
    "weight_decay": ("optimizer.weight_decay", SAME),
    "seed": ("seed", SAME),
    "lambda_gamma": ("model.head_kwargs", lambda v: {} if v is None else {"lambda_gamma": v}),
    "backbone": ("model.backbone", SAME),
    "width": ("model.backbone_kwargs", lambda v: {"width": v}),
    "train_limit": ("data.train_limit", lambda v: v or 0),
}
OMNIGLOT = {
    "split": ("data.kwargs", lambda v: {"split": v}),
    "epochs": ("schedule.epochs", SAME),
    "classes_per_batch": ("data.classes_per_batch", SAME),
    "per_class": ("data.per_class", SAME),
    "lr": ("optimizer.lr", SAME),
    "weight_decay": ("optimizer.weight_decay", SAME),
    "embedding_dim": ("model.embedding_dim", SAME),
    "width": ("model.backbone_kwargs", lambda v: {"width": v}),
    "shift": ("augment.shift", SAME),
    "episodes": ("evaluate.kwargs.episodes", SAME),
    "ci_limit": ("evaluate.ci_limit", SAME),
    "steps_per_epoch": ("schedule.steps_per_epoch", lambda v: v or 0),
    "seed": ("seed", SAME),
}
OMNIGLOT_METHOD = {
    "triplet": {
        "triplet_margin": ("objective.loss_kwargs.margin", SAME),
        "triplet_mining": ("objective.loss", lambda v: f"triplet_{v}"),
    },
    "margin_dws": {
        "margin": ("objective.loss_kwargs.margin", SAME),
        "beta": ("objective.loss_kwargs.beta", SAME),
        "nu": ("objective.loss_kwargs.nu", SAME),
    },
    "arcface": {
        "arcface_scale": ("model.head_kwargs.scale", SAME),
        "arcface_margin": ("model.head_kwargs.margin", SAME),
    },
}
INSTDISC = {
    "dataset": ("data.dataset", SAME),
    "depth": ("model.depth", SAME),
    "embedding_dim": ("model.embedding_dim", SAME),
    "epochs": ("schedule.epochs", SAME),
    "batch_size": ("schedule.batch_size", SAME),
    "lr": ("optimizer.lr", SAME),
    "schedule": ("schedule.kind", SAME),
    "momentum": ("optimizer.momentum", SAME),
    "weight_decay": ("optimizer.weight_decay", SAME),
    "loss": ("objective.loss_kwargs.mode", SAME),
    "negatives": ("objective.loss_kwargs.num_negatives", SAME),
    "temperature": ("objective.loss_kwargs.temperature", SAME),
    "bank_momentum": ("objective.loss_kwargs.momentum", SAME),
    "proximal_weight": ("objective.loss_kwargs.proximal_weight", SAME),
    "max_shift": ("augment.shift", SAME),
    "flip": ("augment.flip", lambda v: "horizontal" if v else ""),
    "knn_k": ("evaluate.kwargs.k", SAME),
    "knn_temperature": ("evaluate.kwargs.temperature", SAME),
    "seed": ("seed", SAME),
}
TRR = {
    "n_train": ("data.kwargs.n_train", SAME),
    "data_seed": ("data.kwargs.data_seed", SAME),
    "seed": ("seed", SAME),
    "epochs": ("schedule.epochs", SAME),
    "patience": ("schedule.patience", SAME),
    "batch_size": ("schedule.batch_size", SAME),
    "hidden": ("model.kwargs.hidden", SAME),
    "keep_rate": ("model.kwargs.keep_rate", SAME),
    "lr": ("optimizer.lr", SAME),
    "lr_decay_rate": ("schedule.decay_rate", SAME),
    "decay_steps": ("schedule.decay_steps", SAME),
    "start_decay_at": ("schedule.start_decay_at", SAME),
    "grad_clip": ("optimizer.clipnorm", SAME),
    "ci_limit": ("evaluate.ci_limit", SAME),
}


def lookup(config: dict, path: str):
    for part in path.split("."):
        config = config[part]
    return config


def _hyper_parameters(config: dict) -> dict:
    """The config's hyper-parameters: all but its `name` (a trial run may have been named apart,
    e.g. `--set name=`) and its `entry` (the card's prose, tags and papers, corrected after a
    publish: "with an arcface head"; "28x28" of a run at `--set data.kwargs.image_size=56`; the
    ResNet paper of a run at `--set model.backbone=...`)."""
    return {k: v for k, v in config.items() if k not in ("name", "entry")}


def config_of(key: str):
    return load_config(CONFIGS / f"{key}.toml")


def test_every_zoo_entry_has_exactly_one_config():
    assert sorted(p.name[: -len(".toml")] for p in CONFIGS.glob("*.toml")) == KEYS


@pytest.mark.parametrize("key", KEYS)
def test_config_builds_the_published_architecture(key):
    entry, config = ENTRIES[key], config_of(key)
    assert config.name == key
    arch = architecture(config, entry.classes, list(entry.input.shape))
    assert arch == entry.architecture.to_dict()
    built = build_model(config, arch)
    published = get_builder(entry.architecture.builder)(**entry.architecture.kwargs)
    shapes = sorted(tuple(w.shape) for w in built.weights)
    assert shapes == sorted(tuple(w.shape) for w in published.weights)
    assert built.count_params() == entry.parameters


@pytest.mark.parametrize("key", KEYS)
def test_config_has_the_recorded_hyper_parameters(key):
    entry, config = ENTRIES[key], config_of(key).to_dict()
    args, script = entry.recipe.args, entry.recipe.script
    if script.endswith(".toml"):  # trained by the engine, which recorded its whole config
        # or another config turned into this one by `--set` (the ResNet-20 Omniglot run)
        assert script == f"training/configs/{key}.toml" or "--set" in entry.recipe.command
        # through the loader: a field added after the run reads as its default
        recorded = config_from_dict(args).to_dict()
        assert _hyper_parameters(recorded) == _hyper_parameters(config)
        return
    if script.endswith("margin_heads.py"):
        table = dict(MARGIN_HEADS)
        if args.get("backbone", "resnet_cifar") == "resnet_cifar":
            table.pop("width")
            table["depth"] = ("model.depth", SAME)
        conv = args.get("conv", "plain")
        assert (config["model"]["conv"].get("magnitude") or "plain") == conv
        assert config["optimizer"]["name"] == "sgd" and config["optimizer"]["momentum"] == 0.9
        assert config["schedule"]["kind"] == "cosine" and config["objective"]["kind"] == "head"
    elif script.endswith("omniglot_metric.py"):
        table = {**OMNIGLOT, **OMNIGLOT_METHOD[args["method"]]}
        assert config["optimizer"]["name"] == "adam" and config["data"]["sampler"] == "pk"
    elif script.endswith("instdisc.py"):
        table = INSTDISC
        assert config["objective"]["kind"] == "instdisc"
    else:
        assert script.endswith("trr_mlp.py")
        table = TRR
        none = args["variant"] == "none"
        assert lookup(config, "objective.loss_kwargs.alpha") == (0.0 if none else args["alpha"])
        variant = lookup(config, "objective.loss_kwargs.variant")
        assert variant == ("trr" if none else args["variant"])
        assert config["optimizer"]["weight_decay"] == 0.0
    checked = 0
    for name, (path, convert) in table.items():
        if name in args:
            assert lookup(config, path) == convert(args[name]), (key, name, path)
            checked += 1
    assert checked >= 8
    assert entry.eval.evaluator == config["evaluate"]["evaluator"]
    assert entry.eval.split == config["evaluate"]["split"]


@pytest.mark.parametrize("split, characters", [("heldout", 178), ("all", 242)])
def test_omniglot_configs_train_on_the_recorded_characters(split, characters):
    from kzoo.training.data import omniglot_training_data

    _, labels, names, _ = omniglot_training_data(split)
    assert len(names) == characters == labels.max() + 1
    assert ENTRIES[f"arcface_convnet.omniglot{'_openset' * (split == 'heldout')}"].classes == (
        characters
    )


def test_omniglot_rotations_are_new_classes():
    from kzoo.training.data import omniglot_training_data

    images, labels, names, _ = omniglot_training_data("heldout")
    turned, turned_labels, turned_names, _ = omniglot_training_data("heldout", rotations=4)
    n, c = len(images), len(names)
    assert turned.shape == (4 * n, *images.shape[1:]) and len(turned_names) == 4 * c
    np.testing.assert_array_equal(turned[:n], images)
    np.testing.assert_array_equal(turned[2 * n : 3 * n], images[:, ::-1, ::-1])
    np.testing.assert_array_equal(turned_labels, np.concatenate([labels + r * c for r in range(4)]))
    assert turned_names[c + 5] == f"{names[5]} (rotated 90)"
    with pytest.raises(ValueError, match=r"`data.kwargs.rotations` must be 1, 2 or 4, got 3"):
        omniglot_training_data("heldout", rotations=3)

"""`TrainConfig`: TOML / JSON files, key=value overrides, and clear errors naming the key."""

from __future__ import annotations

import json
import re

import pytest

from kzoo.training import TrainConfig, apply_overrides, config_from_dict, load_config

TOML = """
name = "arcface_resnet20.my_data"
seed = 3

[model]
head = "arcface"
head_kwargs = {scale = 16.0, margin = 0.2}

[optimizer]
lr = 0.05
ema = true

[schedule]
epochs = 30
warmup_epochs = 2
"""


def test_defaults_are_a_valid_run():
    config = TrainConfig().validate()
    assert config.objective.kind == "head" and config.schedule.kind == "cosine"
    assert config.devices == 1 and config.shard_heads is False


def test_toml_and_json_files_give_the_same_config(tmp_path):
    (tmp_path / "run.toml").write_text(TOML)
    config = load_config(tmp_path / "run.toml")
    (tmp_path / "run.json").write_text(json.dumps(config.to_dict()))
    assert load_config(tmp_path / "run.json") == config
    assert config.model.head_kwargs == {"scale": 16.0, "margin": 0.2}
    assert config.schedule.warmup_epochs == 2.0 and isinstance(config.schedule.warmup_epochs, float)
    assert config.optimizer.ema is True and config.seed == 3
    assert config.model.depth == 20  # a default kept


def test_overrides_are_typed_values_at_dotted_keys(tmp_path):
    (tmp_path / "run.toml").write_text(TOML)
    config = load_config(
        tmp_path / "run.toml",
        [
            "optimizer.lr=1e-3",
            "augment.flip=horizontal",
            "data.image_size=[64, 64]",
            "model.head_kwargs.margin=0.5",
            'model.conv={"type": "decoupled", "magnitude": "tanh"}',
            "shard_heads=true",
        ],
    )
    assert config.optimizer.lr == 1e-3 and config.augment.flip == "horizontal"
    assert config.data.image_size == [64, 64]
    assert config.model.head_kwargs == {"scale": 16.0, "margin": 0.5}
    assert config.model.conv["magnitude"] == "tanh" and config.shard_heads is True


def test_overrides_leave_the_input_untouched():
    data = {"optimizer": {"lr": 0.1}}
    assert apply_overrides(data, ["optimizer.lr=0.2"])["optimizer"]["lr"] == 0.2
    assert data["optimizer"]["lr"] == 0.1


@pytest.mark.parametrize(
    "data, message",
    [
        ({"optimiser": {}}, "Unknown config key `optimiser`; did you mean `optimizer`"),
        ({"model": {"hed": "arcface"}}, "`model.hed`; did you mean `model.head`"),
        ({"schedule": {"epochs": "ten"}}, "`schedule.epochs` must be int"),
        ({"schedule": {"epochs": 2.5}}, "`schedule.epochs` must be int"),
        ({"optimizer": {"ema": 1}}, "`optimizer.ema` must be bool"),
        ({"model": "resnet"}, "`model` must be a table"),
        ({"objective": {"kind": "magic"}}, "`objective.kind` must be one of"),
        ({"schedule": {"epochs": 0}}, "`schedule.epochs` must be a positive int"),
        ({"schedule": {"kind": "linear"}}, "`schedule.kind` must be"),
        ({"optimizer": {"name": "lamb"}}, "`optimizer.name` must be"),
        ({"objective": {"label_smoothing": 1.0}}, "`objective.label_smoothing` must be in"),
        ({"data": {"sampler": "random"}}, "`data.sampler` must be"),
        ({"name": "nodot"}, "`name` must look like 'name.tag'"),
        ({"devices": 0}, "`devices` must be a positive int"),
    ],
)
def test_bad_configs_name_the_key(data, message):
    with pytest.raises((ValueError, TypeError), match=re.escape(message)):
        config_from_dict(data)


def test_bad_override_and_file_type(tmp_path):
    with pytest.raises(ValueError, match="key=value"):
        apply_overrides({}, ["optimizer.lr"])
    (tmp_path / "run.yaml").write_text("")
    with pytest.raises(ValueError, match=r"\.toml or \.json"):
        load_config(tmp_path / "run.yaml")

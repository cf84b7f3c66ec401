import shlex

import keras

from kzoo.zoo.recipe import recipe_record


def test_recipe_command_reruns_the_same_arguments_quoted():
    argv = ["--out", "outputs/a b", "--head", "arcface"]
    recipe = recipe_record("training/margin_heads.py", {"head": "arcface"}, argv)
    assert recipe["script"] == "training/margin_heads.py"
    assert recipe["args"] == {"head": "arcface"}
    env, *command = shlex.split(recipe["command"])
    assert env == f"KERAS_BACKEND={keras.backend.backend()}"
    assert command == ["python", "training/margin_heads.py", *argv]

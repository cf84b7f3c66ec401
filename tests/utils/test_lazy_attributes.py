import sys
import types

import pytest

from kzoo.utils.lazy_attributes import lazy_attributes


@pytest.fixture
def module():
    module = types.ModuleType("kzoo_lazy_probe")
    module.eager = 1
    module.__getattr__, module.__dir__ = lazy_attributes(
        module.__name__, {"dumps": "json:dumps", "decoder": "json.decoder"}
    )
    sys.modules[module.__name__] = module
    yield module
    del sys.modules[module.__name__]


def test_attribute_and_module_targets_load_on_first_use(module):
    import json
    import json.decoder

    assert module.dumps is json.dumps
    assert module.decoder is json.decoder
    assert "dumps" not in vars(module)


def test_unknown_name_raises_attribute_error_naming_module_and_name(module):
    with pytest.raises(AttributeError, match="'kzoo_lazy_probe' has no attribute 'nope'"):
        _ = module.nope
    assert not hasattr(module, "nope")


def test_dir_lists_eager_and_lazy_names(module):
    names = dir(module)
    assert {"eager", "dumps", "decoder"} <= set(names)
    assert names == sorted(names)

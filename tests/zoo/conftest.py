from tests.zoo.hub_fixtures import hub_env, hub_world  # noqa: F401 - fixtures for tests/zoo

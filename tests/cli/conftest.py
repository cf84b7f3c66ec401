from tests.zoo.hub_fixtures import hub_env, hub_world  # noqa: F401 - the zoo's olah fixtures

from tests.hub.hub_fixtures import hub_env, hub_world  # noqa: F401 - the olah fixtures

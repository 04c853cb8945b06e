pytest_plugins = [
    "tests.fixtures.stack",
    "tests.fixtures.app",
    "tests.fixtures.due_process",
    "tests.fixtures.intel",
    "tests.fixtures.console",
]

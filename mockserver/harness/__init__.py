"""The ways to use the mock, on top of the app: the CLI and the server, the pytest plugin and
interception, the contract command against any server, and the synthetic data sets."""

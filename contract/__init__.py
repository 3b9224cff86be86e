"""Contract suites: does a server, and does a client, keep the documented rules."""

import os

# The failover test builds a PostgreSQL formation and runs for minutes: only `make test-failover`
# (FLS_FAILOVER=1) collects it, not `make test`.
collect_ignore_glob = [] if os.environ.get("FLS_FAILOVER") else ["test_*.py"]

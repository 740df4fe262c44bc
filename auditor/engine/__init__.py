"""How a scan runs: discovery, the leaf plan, worker tasks, caches and the processes that run
them (in this process, a worker pool, or the standby worker forked at start-up). Knows no
command line and no config file.

Imports nothing here: the standby worker and pool workers load only the modules they use.
"""

"""The fleet: many services audited with the same engine as ``auditor scan``, with history and a dashboard.

Modules, one job each: ``fleetfile`` (read and validate ``fleet.yaml``), ``fetch`` (check out a
service), ``engine`` (the one adapter onto the scan engine), ``task`` (one service: fetch, skip
or scan, as plain data), ``child``/``procs`` (a scan process with a hard timeout), ``runner``
(local threads or a Dask cluster), ``store``/``migrations`` (the results database), ``ingest``,
``dashboard``/``exports`` (reports over the store) and ``cli`` (the ``auditor fleet`` commands).
Nothing here is imported by a plain ``auditor scan``.
"""

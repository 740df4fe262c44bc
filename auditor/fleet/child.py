"""A scan process: reads one task per line (JSON) on stdin, writes one result per line on its own pipe.

Started by ``auditor.fleet.procs``; kept for many services so its imports and loaded rules are
paid once. Anything the engine prints goes to stderr, never into the results pipe.
"""

from __future__ import annotations

import json
import os
import sys

from auditor.fleet.task import Result, Task, run_task


def main() -> None:
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # stray prints from libraries cannot corrupt the protocol
    sys.stdout = sys.stderr
    # the engine is imported before the first task, not during it
    import auditor.render.jsonout
    import auditor.session  # noqa: F401

    out.write('{"ready": true}\n')  # a service's timeout starts when its task is sent, after these imports
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            task = Task(**json.loads(line))
            result = run_task(task)
        except Exception as exc:
            result = Result(service="?", status="scan-error", reason=f"bad task: {type(exc).__name__}: {exc}")
        out.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        out.flush()


if __name__ == "__main__":
    main()

"""A fork server for the crash test: modules loaded once, one forked child per
sync run, so the test can SIGKILL hundreds of real sync processes quickly.

Reads JSON lines {"db", "hub", "token", "limit"}; for each, forks a child that
pulls until caught up and pushes the outbox, prints the child's pid, waits
for it, and prints its wait status. This process itself has no threads.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from floorview.store.engine import open_engine  # noqa: E402
from floorview.sync.syncer import Syncer  # noqa: E402
from floorview.sync.transport import HubClient  # noqa: E402


def run(job: dict) -> None:
    engine = open_engine(Path(job["db"]))
    with HubClient(job["hub"], job["token"]) as client:
        syncer = Syncer(engine, client, page_limit=job["limit"])
        syncer.pull_until_caught_up()
        syncer.push_outbox()


for line in sys.stdin:
    job = json.loads(line)
    pid = os.fork()
    if pid == 0:
        try:
            run(job)
            code = 0
        except BaseException:
            code = 3
        os._exit(code)
    print(pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print(status, flush=True)

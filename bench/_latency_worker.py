"""The worker side of bench/event_latency.py: the real JobRunner relaying a stand-in trainer, for many jobs at once.

    python bench/_latency_worker.py RATE SECONDS JOB_ID...
"""

import asyncio
import sys
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "backend"))

from tuneforge.config import get_settings  # noqa: E402
from tuneforge.db import make_engine, make_sessionmaker  # noqa: E402
from tuneforge.worker.supervisor import JobRunner  # noqa: E402
from tuneforge.tables import import_all_tables  # noqa: E402
from tuneforge.storage import get_storage  # noqa: E402


async def main() -> None:
    import_all_tables()
    rate, seconds, job_ids = sys.argv[1], sys.argv[2], sys.argv[3:]
    engine = make_engine(get_settings().database_url)
    runner = JobRunner(
        sessionmaker=make_sessionmaker(engine),
        storage=get_storage(),
        worker_name="bench",
        team_max_running_jobs=len(job_ids),
        trainer_command=[sys.executable, str(REPO / "bench" / "_fake_trainer.py"), rate, seconds],
    )
    await asyncio.gather(*(runner.run(uuid.UUID(j)) for j in job_ids))
    await engine.dispose()


asyncio.run(main())

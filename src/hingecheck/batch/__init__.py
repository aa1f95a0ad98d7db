"""Many sets at once: the batch engine as a library (the `hingecheck batch` command and the
server use it).

    from hingecheck.batch import SetJob, open_engine, run
    with open_engine() as engine:                 # a local pool; open_engine(ray_address="auto")
        for r in run(jobs, engine):
            print(r.job.video, r.status, r.reps, r.faults)
"""

from hingecheck.batch.engine import Engine, open_engine, run
from hingecheck.batch.jobs import SetJob, SetResult
from hingecheck.batch.worker import SetAnalyzer, analyze_set

__all__ = ["Engine", "SetAnalyzer", "SetJob", "SetResult", "analyze_set", "open_engine", "run"]

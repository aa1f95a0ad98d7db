"""serve's parts in-process, without HTTP: the SQLite store, the trainer's verdicts as labels
and agreement, a client's history and what a set's pages show (a real database in a temporary
folder, a report the judge wrote for a synthetic set)."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest

pytest.importorskip("starlette", reason="needs the serve extra (pip install '.[serve]')")
from starlette.exceptions import HTTPException  # noqa: E402

from hingecheck.faults import FAULT_TYPES  # noqa: E402
from hingecheck.judge.evaluate import score_clip
from hingecheck.outputs.registry import OUTPUTS  # noqa: E402
from hingecheck.serve.agreement import agreement, label_for  # noqa: E402
from hingecheck.serve.history import chart, sessions  # noqa: E402
from hingecheck.serve.store import Review  # noqa: E402
from hingecheck.serve.views import report_of, set_file, set_view, status  # noqa: E402


def _add_set(store, client_id: int, name: str = "a", video_s: float = 10.0):
    return store.add_set(f"pub-{name}", client_id, f"{name}-stored.mp4", f"{name}.mp4",
                         1000, video_s, None, "")  # fmt: skip


def _done(store, row, report: dict, settings=None):
    """Finish the set as the queue runner does, writing its report where serve reads it."""
    if settings is not None:
        path = settings.result_path(row, "json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report))
    counts = {k: sum(f["type"] == k for f in report["faults"]) for k in FAULT_TYPES}
    store.finish(row.id, ok=True, status="analysed", reason="", reps=len(report["reps"]),
                 faults=counts, seconds=5.0)  # fmt: skip
    return store.get_set(row.public_id)


# -- the store -------------------------------------------------------------------------------
def test_password_is_set_once_then_changed_with_every_session_ended(serve_data):
    _, store = serve_data
    assert store.password_hash() is None
    assert store.set_password_hash("h1", first=True)
    assert not store.set_password_hash("h2", first=True)  # a second first start can't take over
    epoch = store.session_epoch()
    store.set_password_hash("h3")
    assert store.password_hash() == "h3" and store.session_epoch() == epoch + 1
    store.end_sessions()
    assert store.session_epoch() == epoch + 2


def test_login_failures_are_counted_per_address(serve_data):
    _, store = serve_data
    since = time.time() - 1
    for ip in ("1.1.1.1", "1.1.1.1", "2.2.2.2"):
        store.record_login_failure(ip)
    assert store.login_failures(since, "1.1.1.1")[0] == 2
    assert store.login_failures(since)[0] == 3
    store.clear_login_failures("1.1.1.1")
    assert store.login_failures(since, "1.1.1.1")[0] == 0


def test_a_new_link_stops_the_old_one(serve_data):
    _, store = serve_data
    anna = store.add_client("anna")
    assert store.client_by_token(anna.token) == anna
    store.new_token(anna.id)
    assert store.client_by_token(anna.token) is None
    assert store.client(anna.id).token != anna.token
    assert [c.name for c in store.clients()] == ["anna"]


def test_the_queue_runs_sets_in_order_and_survives_a_restart(serve_data):
    _, store = serve_data
    cid = store.add_client("anna").id
    a, b = _add_set(store, cid, "a"), _add_set(store, cid, "b")
    assert (a.state, store.queue_position(a), store.queue_position(b)) == ("queued", 0, 1)
    got = store.claim_next()
    assert got.id == a.id and got.state == "running" and got.attempts == 1
    assert store.requeue_running() == 1  # a server killed mid-analysis
    assert store.claim_next().id == a.id
    store.finish(a.id, ok=False, status="failed", reason="not a video", reps=0, faults={},
                 seconds=1.0)  # fmt: skip
    assert store.get_set(a.public_id).state == "failed"
    store.retry(a.id)
    assert store.get_set(a.public_id).state == "queued"
    assert store.get_set(a.public_id, client_id=cid + 1) is None  # not this client's
    assert [r.public_id for r in store.sets(client_id=cid)] == ["pub-b", "pub-a"]


def test_finished_sets_give_the_speed_and_fault_counts(serve_data):
    _, store = serve_data
    cid = store.add_client("anna").id
    row = _add_set(store, cid, video_s=10.0)
    assert store.speed() is None
    store.claim_next()
    store.finish(row.id, ok=True, status="analysed", reason="", reps=3,
                 faults={"lumbar_rounding": 2}, seconds=5.0)  # fmt: skip
    done = store.get_set(row.public_id)
    assert done.state == "done" and done.fault_counts == {"lumbar_rounding": 2}
    assert done.fault_total == 2 and store.speed() == pytest.approx(0.5)


def test_verdicts_and_missed_faults_make_a_set_reviewed(serve_data):
    _, store = serve_data
    row = _add_set(store, store.add_client("anna").id)
    store.finish(row.id, ok=True, status="analysed", reason="", reps=1, faults={}, seconds=1.0)
    assert store.reviewed_sets() == []
    store.set_verdict(row.id, 0, "agree")
    store.set_verdict(row.id, 0, "disagree")  # changed their mind: one verdict per fault
    store.set_verdict(row.id, 1, "agree")
    store.set_verdict(row.id, 1, None)
    store.add_missed(row.id, "missing_lockout", 2.5)
    review = store.review(row.id)
    assert review.verdicts == {0: "disagree"}
    assert [(m.type, m.time_s) for m in review.missed] == [("missing_lockout", 2.5)]
    store.remove_missed(row.id, review.missed[0].id)
    assert store.review(row.id).missed == []
    assert [r.id for r in store.reviewed_sets()] == [row.id]


# -- verdicts as labels, and agreement -------------------------------------------------------
def test_verdicts_become_labels_the_evaluation_scores(serve_data, judged_set):
    _, store = serve_data
    report = judged_set[2].to_dict()
    row = _done(store, _add_set(store, store.add_client("anna").id), report)
    types = [f["type"] for f in report["faults"]]
    rounding = types.index("lumbar_rounding")
    review = Review({rounding: "disagree"}, [])
    label = label_for(row, report, review)
    assert label["faults"]["lumbar_rounding"] == "absent"  # every reported one refused
    # Only what the trainer said: a fault reported but not reviewed, or never mentioned, is
    # not in the label (an unreviewed type is no verdict either way).
    assert "squat_like_knee_bend" not in label["faults"]
    assert "lockout_hyperextension" not in label["faults"]
    store.add_missed(row.id, "lockout_hyperextension", 999.0)  # after every rep
    label = label_for(row, report, store.review(row.id))
    assert label["faults"]["lockout_hyperextension"] == "present"
    assert label["fault_reps"]["lockout_hyperextension"] == [len(report["reps"]) + 1]
    assert label["rep_windows"][-1] == [999.0 - 0.5, 999.0 + 0.5]
    ag = agreement([score_clip(label_for(row, report, review), report)])
    assert ag.sets == 1 and ag.scored >= 1 and 0.0 <= ag.rate <= 1.0


# -- a client's history ----------------------------------------------------------------------
def test_history_groups_sets_by_day_and_counts_complete_reps(judged_set):
    report = judged_set[2].to_dict()
    day = 86400.0
    partial = {**report, "reps": [{**r, "complete": False} for r in report["reps"]]}
    days = sessions([(2 * day, report), (0.0, report), (10.0, partial)])
    assert [d.sets for d in days] == [2, 1]  # oldest first
    assert days[0].reps == days[1].reps == len(report["reps"])  # the partial reps don't count
    faulty = sum(bool(r["faults"]) for r in report["reps"])
    assert days[0].rate() == pytest.approx(faulty / len(report["reps"]))
    drawn = chart(days)
    assert [s["key"] for s in drawn["series"]] == ["any", *FAULT_TYPES]
    assert all(len(s["points"]) == 2 for s in drawn["series"])


# -- what the pages show ---------------------------------------------------------------------
def test_set_view_and_files_of_a_finished_set(serve_data, judged_set):
    settings, store = serve_data
    report = judged_set[2]
    row = _add_set(store, store.add_client("anna").id)
    assert report_of(settings, row) is None and set_view(row, None)["faults"] == []
    assert status(store, row)["text"] == "next in line"
    row = _done(store, row, report.to_dict(), settings)
    view = set_view(row, report_of(settings, row))
    assert [f["type"] for f in view["faults"]] == [f.type for f in report.faults]
    assert [f["borderline"] for f in view["faults"]] == [f.borderline for f in report.faults]
    assert view["complete_reps"] == sum(r.complete for r in report.reps) and view["judged"]
    assert status(store, row) == {"state": "done", "progress": 1.0, "position": None,
                                  "text": "ready"}  # fmt: skip
    for o in OUTPUTS:  # every output is served once written, with its media type
        path = settings.result_path(row, o.key)
        if not path.exists():
            path.write_bytes(b"x")
        response = set_file(settings, row, o.name_for(row.stem))
        assert response.media_type == o.media
    for name in ("../hingecheck.sqlite3", f"{row.stem}.track.npz", "other.json"):
        with pytest.raises(HTTPException):
            set_file(settings, row, name)


def test_a_running_set_shows_an_estimate_never_finished(serve_data):
    _, store = serve_data
    row = _add_set(store, store.add_client("anna").id, video_s=10.0)
    store.claim_next()
    row = replace(store.get_set(row.public_id), started=time.time() - 1e6)
    s = status(store, row)
    assert s["state"] == "running" and s["progress"] == 0.95 and "estimated" in s["text"]

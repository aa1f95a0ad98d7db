"""Tuning to the trainer's verdicts in-process (a real SQLite store, the app through Starlette's
test client, sets made from synthetic tracks so no model runs): overlay versions, applying and
going back, re-judging past sets from their tracks, and rep corrections in labels.json."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette", reason="needs the serve extra (pip install '.[serve]')")
from serve_support import TEST_CONFIG, csrf_of, set_password  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402
from synth_support import track_from_motion  # noqa: E402

from hingecheck.config import load_config  # noqa: E402
from hingecheck.judge.evaluate import score_clip  # noqa: E402
from hingecheck.outputs.registry import TRACK  # noqa: E402
from hingecheck.outputs.writers import write_json  # noqa: E402
from hingecheck.pipeline import judge_track  # noqa: E402
from hingecheck.records import Fault  # noqa: E402
from hingecheck.serve import Settings, create_app  # noqa: E402
from hingecheck.serve.store import Store  # noqa: E402
from hingecheck.serve.tuning import carry_verdicts  # noqa: E402
from hingecheck.serve.tuning_store import TuningStore  # noqa: E402
from hingecheck.synth import RepSpec, hinge_motion  # noqa: E402

BASE = "http://127.0.0.1"
ROUND = "lumbar_rounding"


def _track(factor: float, seed: int):
    """Two rounded reps bowing `factor` times a mild rounding (about 0.024 at 1)."""
    motion = hinge_motion([RepSpec(kind="rounded", severity=0.0)] * 2, 30.0)
    motion.lumbar_bow = motion.lumbar_bow * factor
    return track_from_motion(motion, noise_px=0.5, seed=seed)


def make_app(tmp_path: Path):
    config = tmp_path / "fast.toml"
    config.write_text(TEST_CONFIG)
    settings = Settings(data=tmp_path / "data", workers=1, config_path=config)
    return create_app(settings, start_queue=False), settings


def add_done_set(app, settings, client_id: int, name: str, factor: float, seed: int):
    """A set as an analysis leaves it: the row done, its report and its cached track."""
    store = app.state.ctx.store
    row = store.add_set(name, client_id, f"{name}.mp4", f"{name}.mp4", 1, 6.0, "deadlift", "")
    track = _track(factor, seed)
    _, report = judge_track(track, load_config(settings.config_path), "deadlift")
    folder = settings.set_folder(row.public_id)
    folder.mkdir(parents=True)
    write_json(report, settings.result_path(row, "json"))
    track.save(TRACK.path_for(folder, row.stem), "synthetic")
    counts = {ROUND: sum(f.type == ROUND for f in report.faults)}
    store.finish(row.id, ok=True, status="analysed", reason="", reps=len(report.reps),
                 faults=counts, seconds=1.0)  # fmt: skip
    return store.get_set(row.public_id), report


def verdict_all(c: TestClient, sid: str, report, verdict: str) -> None:
    page = c.get(f"/t/sets/{sid}").text
    for i, f in enumerate(report.faults):
        if f.type == ROUND:
            said = {"csrf": csrf_of(page), "fault": str(i), "verdict": verdict}
            r = c.post(f"/t/sets/{sid}/verdict", data=said)
            assert r.status_code == 303, r.text


def test_a_stricter_trainer_is_tuned_to_applied_and_gone_back_from(tmp_path):
    app, settings = make_app(tmp_path)
    with TestClient(app, base_url=BASE, follow_redirects=False) as c:
        set_password(c, app.state.ctx.setup_code)
        store = app.state.ctx.store
        tuning = TuningStore(store)
        rows = {}
        # Three clients; each has mild rounding the trainer refuses and clear rounding they
        # agree with: a trainer whose line sits above the default.
        for cid_i, seeds in enumerate([(0, 1), (2, 3), (4, 5)]):
            client = store.add_client(f"Client {cid_i}")
            for k, (factor, verdict) in enumerate([(1.25, "disagree"), (2.2, "agree")]):
                row, report = add_done_set(app, settings, client.id, f"c{cid_i}s{k}",
                                           factor, seeds[k])  # fmt: skip
                assert any(f.type == ROUND for f in report.faults), "the default calls it"
                verdict_all(c, row.public_id, report, verdict)
                rows[row.public_id] = (row, verdict)
        page = c.get("/t/tuning").text
        r = c.post("/t/tuning", data={"csrf": csrf_of(page)})
        assert r.status_code == 303, r.text
        overlay = tuning.overlays()[0]
        assert overlay.tuned_faults == [ROUND], overlay.fits
        fit = next(f for f in overlay.fits if f["fault"] == ROUND)
        assert fit["after"] > fit["before"]
        assert fit["fitted"]["threshold"] > load_config().rules.lumbar_rounding.threshold
        shown = c.get(r.headers["location"]).text
        assert 'data-fault="lumbar_rounding" data-tuned="yes"' in shown
        assert "left alone" in shown  # the faults no verdict was given on say why
        assert tuning.active() is None  # nothing applied until the trainer says so
        # Applied: a claimed set is judged with the version's file, recorded on its row.
        r = c.post(f"/t/tuning/{overlay.id}/apply", data={"csrf": csrf_of(shown)})
        assert r.status_code == 303
        assert tuning.active().id == overlay.id
        queued = store.add_set("next", 1, "next.mp4", "next.mp4", 1, 6.0, None, "")
        job = app.state.ctx.runner.job_for(queued)
        assert job.config_path == settings.data / "overlays" / f"v{overlay.id}.toml"
        assert store.get_set("next").overlay_id == overlay.id
        tuned = load_config(job.config_path)
        assert tuned.pose.sample_hz == 10.0  # the server's own config is carried
        # Past sets judged again from their tracks: the refused calls are gone, verdicts kept.
        r = c.post("/t/tuning/rejudge", data={"csrf": csrf_of(shown)})
        assert r.status_code == 303
        changed = {ch["set"] for ch in tuning.last_rejudge().changes}
        assert changed == {sid for sid, (_, v) in rows.items() if v == "disagree"}
        export = json.loads(c.get("/t/export/labels.json").text)
        for label in export:
            want = "absent" if rows[label["set"]][1] == "disagree" else "present"
            assert label["faults"][ROUND] == want
            report = json.loads(settings.result_path(rows[label["set"]][0], "json").read_text())
            assert report["config_hash"] == tuned.digest()
        assert "agreed absent" in c.get("/").text
        # Back to the defaults: new sets and a re-judge restore the default calls.
        r = c.post("/t/tuning/defaults", data={"csrf": csrf_of(shown)})
        assert tuning.active() is None
        assert app.state.ctx.runner.job_for(queued).config_path == settings.config_path
        c.post("/t/tuning/rejudge", data={"csrf": csrf_of(shown)})
        assert {ch["set"] for ch in tuning.last_rejudge().changes} == changed
        for row, verdict in rows.values():
            report = json.loads(settings.result_path(row, "json").read_text())
            assert any(f["type"] == ROUND for f in report["faults"])
            # The refused calls came back, and the trainer's verdicts with them.
            assert set(store.review(row.id).verdicts.values()) == {verdict}


def test_tuning_with_too_few_verdicts_or_no_positive_says_so_and_applies_nothing(tmp_path):
    app, settings = make_app(tmp_path)
    with TestClient(app, base_url=BASE, follow_redirects=False) as c:
        set_password(c, app.state.ctx.setup_code)
        store = app.state.ctx.store
        client = store.add_client("Anna")
        page = c.get("/t/tuning").text
        r = c.post("/t/tuning", data={"csrf": csrf_of(page)})
        assert r.status_code == 400 and "at least 6 sets" in r.text
        for k in range(6):
            row, report = add_done_set(app, settings, client.id, f"s{k}", 1.25, k)
            verdict_all(c, row.public_id, report, "disagree")
        r = c.post("/t/tuning", data={"csrf": csrf_of(page)})
        assert r.status_code == 400 and "nothing to fit to" in r.text
        assert TuningStore(store).overlays() == [] and TuningStore(store).active() is None


def test_overlay_versions_are_kept_and_an_older_database_gains_the_column(tmp_path):
    db = tmp_path / "old.sqlite3"
    old = sqlite3.connect(db)  # the sets table as a server before tuning made it
    old.execute("CREATE TABLE sets (id INTEGER PRIMARY KEY, public_id TEXT, client_id INTEGER,"
                " stored_name TEXT, original_name TEXT, size_bytes INTEGER, video_s REAL,"
                " exercise TEXT, note TEXT, state TEXT, uploaded REAL, started REAL,"
                " finished REAL, attempts INTEGER, status TEXT, reason TEXT, reps INTEGER,"
                " faults_json TEXT, seconds REAL, seen REAL, reviewed REAL, reply TEXT,"
                " reply_at REAL)")  # fmt: skip
    old.commit()
    old.close()
    store = Store(db)
    tuning = TuningStore(store)
    client = store.add_client("Anna")
    row = store.add_set("a", client.id, "a.mp4", "a.mp4", 1, 3.0, None, "")
    assert row.overlay_id is None
    v1 = tuning.add_overlay("[rules]\n", [{"fault": ROUND}], 6, 2, [ROUND])
    v2 = tuning.add_overlay("[rules]\n", [], 8, 3, [])
    assert [o.id for o in tuning.overlays()] == [v2.id, v1.id]
    assert tuning.active() is None
    tuning.use(v1.id)
    tuning.judged_with(row.id, v1.id)
    assert tuning.active().id == v1.id and store.get_set("a").overlay_id == v1.id
    tuning.use(None)
    assert tuning.active() is None
    tuning.use(v1.id)  # an earlier version again
    assert [ch.overlay_id for ch in tuning.changes()] == [v1.id, None, v1.id]


def test_rep_corrections_go_into_labels_json_and_evaluate_scores_them(tmp_path):
    app, settings = make_app(tmp_path)
    with TestClient(app, base_url=BASE, follow_redirects=False) as c:
        set_password(c, app.state.ctx.setup_code)
        store = app.state.ctx.store
        client = store.add_client("Anna")
        row, report = add_done_set(app, settings, client.id, "s", 2.2, 0)
        assert len(report.reps) == 2
        sid = row.public_id
        page = c.get(f"/t/sets/{sid}").text
        assert 'id="reps"' in page and "A rep was missed here" in page
        token = csrf_of(page)
        mark = {"csrf": token, "kind": "not_a_rep", "rep": "1"}
        assert c.post(f"/t/sets/{sid}/reps", data=mark).status_code == 303
        late = round(report.reps[-1].end_s + 1.5, 2)
        mark = {"csrf": token, "kind": "missed", "time": str(late)}
        assert c.post(f"/t/sets/{sid}/reps", data=mark).status_code == 303
        bad = c.post(f"/t/sets/{sid}/reps", data={"csrf": token, "kind": "not_a_rep", "rep": "9"})
        assert bad.status_code == 400 and "no such rep" in bad.text
        far = c.post(f"/t/sets/{sid}/reps", data={"csrf": token, "kind": "missed", "time": "99"})
        assert far.status_code == 400
        # The trainer agrees with the rounding on rep 2 (now the first rep of their count).
        i = next(i for i, f in enumerate(report.faults) if f.type == ROUND and f.rep == 2)
        c.post(f"/t/sets/{sid}/verdict", data={"csrf": token, "fault": str(i), "verdict": "agree"})
        label = json.loads(c.get("/t/export/labels.json").text)[0]
        assert label["reps"] == 2  # one not a rep, one added
        windows = label["rep_windows"]
        assert len(windows) == 2 and windows[0][0] == pytest.approx(report.reps[1].start_s, 1e-3)
        assert windows[1][0] <= late <= windows[1][1]
        assert label["fault_reps"][ROUND] == [1]
        scored = score_clip(label, json.loads(settings.result_path(row, "json").read_text()))
        assert scored.reps_labelled == 2 and scored.reps_found == 2
        assert f">{label['reps']}</span> by you" in c.get(f"/t/sets/{sid}").text


def test_verdicts_follow_their_calls_through_a_re_judge():
    def fault(t: str, rep: int, peak: float) -> Fault:
        return Fault(t, rep, peak - 0.2, peak + 0.2, peak, "mild", 0.0, 0.0, "bottom", "", "")

    old = [fault(ROUND, 1, 1.0), fault(ROUND, 2, 3.0), fault("missing_lockout", 2, 4.0)]
    new = [fault("missing_lockout", 2, 4.1), fault(ROUND, 2, 3.1)]
    moved, kept = carry_verdicts(old, new, {0: "disagree", 1: "agree", 2: "disagree"}, [])
    assert moved == {1: "agree", 0: "disagree"}
    assert kept == [(ROUND, 1, 1.0, "disagree")]
    assert np.isfinite(kept[0][2])


def test_reps_are_listed_for_a_fault_only_when_every_call_of_it_has_a_verdict():
    from hingecheck.serve.agreement import label_for
    from hingecheck.serve.store import Review, SetRow

    reps = [{"index": 1, "start_s": 0.0, "end_s": 3.0}, {"index": 2, "start_s": 3.0, "end_s": 6.0}]
    faults = [{"type": ROUND, "rep": 1, "peak_s": 1.0}, {"type": ROUND, "rep": 2, "peak_s": 4.0}]
    report = {"reps": reps, "faults": faults}
    row = SetRow(1, "s1", 1, "s1.mp4", "s.mp4", 10, 6.0, None, "", "done", 0.0, None, None,
                 1, "analysed", "", 2, None, None, None, None, "", None)  # fmt: skip
    half = label_for(row, report, Review(verdicts={0: "agree"}))
    # Rep 2's call has no verdict: it is not known clean, so the set is scored whole.
    assert half["faults"] == {ROUND: "present"} and half["fault_reps"] == {}
    both = label_for(row, report, Review(verdicts={0: "agree", 1: "disagree"}))
    assert both["fault_reps"] == {ROUND: [1]}

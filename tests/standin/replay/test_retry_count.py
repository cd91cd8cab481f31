"""A live retry the recording lacks: counted in the replay summary and marked
``retried`` on the recorded answer in ``replay --web`` (retries.py)."""

from __future__ import annotations

from sioproxy.recording.model import Recording
from sioproxy.standin.replay import ReplayOptions
from sioproxy.standin.replay.scheduler import ConnectionScheduler
from sioproxy.types import Generation
from sioproxy.web.replay_marks import ReplayMarks

from .factory import RecordingBuilder, sends, sio


def slow_ack() -> Recording:
    b = RecordingBuilder(Generation.EIO4).open("c1")
    return b.c("40").s('40{"sid":"a"}').c('420["slow","x"]').s('430["done x"]').build()


def test_a_retry_is_counted_and_its_answer_marked() -> None:
    rec = slow_ack()
    s = ConnectionScheduler(rec, ReplayOptions(speed=0))
    engine = s.assign("live", first=sio("40"))
    for raw in ("40", '420["slow","x"]'):
        engine.on_client_packet(sio(raw), 0.0)
    assert s.summary().retries_answered == 0
    # socket.io-client's retry: the same emit under the next ack id.
    assert sends(engine.on_client_packet(sio('421["slow","x"]'), 0.1)) == ['431["done x"]']
    summary = s.summary()
    assert (summary.retries_answered, summary.mismatches, summary.ok) == (1, (), True)
    assert summary.to_json()["retries_answered"] == 1
    assert "1 retry the recording lacks answered again" in summary.lines()[0]
    marks, misses = ReplayMarks(rec).update(s.engines)
    assert misses == []
    answer = rec.entries[-1].seq
    assert marks[f"0:{answer}"] == "retried"
    assert marks[f"0:{answer - 1}"] == "played"

"""Fresh sid/pid in replayed CONNECT replies, the same for the whole replay (session recovery)."""

from __future__ import annotations

from sioproxy.codec.socketio import SioPacket, SioType
from sioproxy.standin.replay.session_ids import SessionIds


def reply(sid: str, pid: str) -> SioPacket:
    return SioPacket(type=SioType.CONNECT, data={"sid": sid, "pid": pid})


def test_each_recorded_id_gets_one_fresh_value_and_a_recovering_pid_maps_back() -> None:
    ids = SessionIds()
    first = ids.fresh(reply("S", "P"))
    again = ids.fresh(reply("S", "P"))
    assert first.data["pid"] != "P"
    assert first.data["sid"] != "S"
    assert again.data == first.data  # the recovered connection gets the same ids back
    live = SioPacket(type=SioType.CONNECT, data={"pid": first.data["pid"], "offset": "o1"})
    assert ids.recorded(live).data == {"pid": "P", "offset": "o1"}


def test_other_packets_pass_unchanged() -> None:
    ids = SessionIds()
    event = SioPacket(type=SioType.EVENT, data=["x"])
    unknown = SioPacket(type=SioType.CONNECT, data={"pid": "never handed out"})
    assert ids.fresh(event) is event
    assert ids.recorded(unknown) is unknown

"""0.9 routes are cached by path and the query fields that matter (``routes._legacy_route``).

A 0.9 client puts a fresh ``t=`` on every request, so ``classify``'s own cache
misses; the inner cache must still give what building the route afresh gives,
whatever the order of the requests.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sioproxy.session import routes

SID = "15521534681573741186"
tails = st.sampled_from(
    ["", "/", "xhr-polling/" + SID, "jsonp-polling/" + SID, "websocket/" + SID, "/" + SID + "/",
     "htmlfile/" + SID, "nope/" + SID, "xhr-polling/", "xhr-polling/other"]
)  # fmt: skip
fields = st.lists(
    st.sampled_from(["t=1", "t=2", "disconnect=1", "disconnect", "jsonp=0", "jsonp=7", "i=0",
                     "i=3", "i=x", "%69=5", "j%73onp=2"]),
    max_size=4,
).map("&".join)  # fmt: skip


def fresh(tail: str, query: str) -> routes.Route:
    """The route built afresh, past both caches."""
    params = routes.query_params(query)
    build = routes._legacy_route.__wrapped__
    return build(tail, "disconnect" in params, params.get("jsonp"), params.get("i"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(tails, fields), min_size=1, max_size=30))
def test_cached_legacy_routes_are_built_afresh(requests: list[tuple[str, str]]) -> None:
    for tail, query in requests:
        assert routes.classify(f"/socket.io/1/{tail}", query) == fresh(tail, query)


def test_fresh_t_fields_share_one_route() -> None:
    path = f"/socket.io/1/xhr-polling/{SID}"
    first = routes.classify(path, "t=1700000000001")
    assert routes.classify(path, "t=1700000000002") is first
    assert routes.classify(path, "t=1700000000003&disconnect=1") == routes.Route(
        kind=routes.RouteKind.LEGACY_TRANSPORT,
        generation=first.generation,
        transport=first.transport,
        sid=SID,
        forced_disconnect=True,
    )

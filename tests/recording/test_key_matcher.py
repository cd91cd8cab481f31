"""KeyMatcher.may_hold: does a secret key name occur in a text (case-insensitive)?"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sioproxy.recording.redact_policy import KeyMatcher, RedactionPolicy, _anchors

POLICIES = [
    RedactionPolicy(),
    RedactionPolicy.build(redact=["clé", "пароль", "x\ud800"], query=["sig"]),
]
# Dense filler makes the text long (past the 4,096 characters where the
# byte filter starts); names come whole, in any case, or cut by other
# characters that the filter removes; U+212A (Kelvin) lowers to "k".
FILLER = st.sampled_from(["[[0]],", "0,", '{"a":1},', '"é",', "\\u00e9", "\ud800"])
NAMES = st.sampled_from(["token", "pass", "word", "clé", "пароль", "x\ud800", "sig", "api_"])
PIECES = st.one_of(
    FILLER.map(lambda f: f * 800),
    FILLER,
    st.builds(lambda n, upper: n.upper() if upper else n, NAMES, st.booleans()),
    st.builds(lambda n, at, sep: n[:at] + sep + n[at:], NAMES, st.integers(0, 5), FILLER),
    st.sampled_from(["to\u212aen", "api-key", "private_", "İ", "ß"]),
)


@given(pieces=st.lists(PIECES, max_size=12), which=st.sampled_from(range(len(POLICIES))))
def test_may_hold_is_true_exactly_when_a_name_occurs(pieces: list[str], which: int) -> None:
    matcher = KeyMatcher(POLICIES[which])
    text = "".join(pieces)
    lowered = text.lower()
    assert matcher.may_hold(text) is any(name in lowered for name in matcher.query)


def test_a_dense_text_without_names() -> None:
    matcher = KeyMatcher(RedactionPolicy())
    assert not matcher.may_hold('42["echo",[' + "[[0]]," * 100_000 + "0]]")
    assert matcher.may_hold('42["echo",[' + "[[0]]," * 100_000 + '{"Token":1}]]')


@given(names=st.lists(st.text(min_size=0, max_size=12), max_size=20))
def test_every_name_holds_an_anchor(names: list[str]) -> None:
    # may_hold's first filter on a long text: no anchor there, so no name there.
    encoded = tuple(n.lower().encode("utf-8", "surrogatepass") for n in names)
    anchors = _anchors(encoded)
    assert all(len(a) <= 3 for a in anchors)
    assert all(any(a in name for a in anchors) for name in encoded)
    assert len(anchors) <= len(set(encoded))

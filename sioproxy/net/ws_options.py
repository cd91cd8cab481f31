"""autobahn's per-connection option copy, without its debug text.

Layer: net (autobahn). When a connection opens, autobahn's
``WebSocketProtocol._connectionMade`` copies each name of ``CONFIG_ATTRS``
from the factory to the protocol (unless the protocol has it already), and
then hands ``pformat`` of that list to ``log.debug``. The text is made even
when debug logging is off: about 0.2 ms per connection, a fifth of the live
proxy's CPU while many sockets connect (docs/performance.md, round 10).

``QuietOptions``, first among an autobahn protocol's bases, does the same
copy itself and leaves autobahn an empty ``CONFIG_ATTRS``, so nothing is
formatted. The protocol ends up with the same attributes.
"""

from __future__ import annotations

from typing import Any, ClassVar


class QuietOptions:
    """Mixin for autobahn protocol classes: options copied without debug text."""

    # What autobahn's _connectionMade walks (and pformats): nothing. The mixin
    # comes before the autobahn class, so this is the value its code reads.
    CONFIG_ATTRS: ClassVar[tuple[str, ...]] = ()
    # The autobahn base's own list, copied below instead.
    option_names: ClassVar[tuple[str, ...]] = ()
    factory: Any

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in cls.__mro__[1:]:
            names = vars(base).get("CONFIG_ATTRS")
            if names:
                cls.option_names = tuple(names)
                break

    def _connectionMade(self) -> None:  # noqa: N802 - autobahn's name
        factory = self.factory
        for name in self.option_names:
            # autobahn's rule: a value set on the protocol (class or instance) wins.
            if not hasattr(self, name):
                setattr(self, name, getattr(factory, name))
        super()._connectionMade()  # type: ignore[misc]


__all__ = ["QuietOptions"]

"""``bca serve --workers N``: uvicorn's supervisor, with a listening socket per worker.

uvicorn hands one listening socket to every worker. Each worker's event loop accepts up to its
whole backlog at every wake-up, so the first worker to wake takes a burst of new connections
all to itself: 20 clients connecting at once all landed on one of two workers, which ran at
80 % of a core while the other idled (bench/README.md). Here each worker listens on a socket
of its own, bound with ``SO_REUSEPORT``: the kernel spreads new connections evenly over the
workers that are alive (only processes of the same user can join the group).

Everything else (start-up, health checks, restarts, signals) is uvicorn's ``Multiprocess``; it
creates each worker from ``self.sockets``, which here binds a fresh socket every time. The
supervisor's own copy is closed once the worker is started (``multiprocessing`` drops its
reference to the arguments in ``start()``, and the worker received a duplicate): a socket left
open in the supervisor after its worker died would keep receiving connections nobody accepts.
"""

from __future__ import annotations

import socket

from uvicorn import Config
from uvicorn.supervisors.multiprocess import Multiprocess


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound with ``SO_REUSEPORT``, as uvicorn's ``Config.bind_socket`` binds."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class SpreadingMultiprocess(Multiprocess):
    """uvicorn's supervisor, each worker on a ``SO_REUSEPORT`` socket of its own."""

    def __init__(self, config: Config) -> None:
        super().__init__(config, sockets=[])

    @property
    def sockets(self) -> list[socket.socket]:
        """Read by ``Multiprocess`` once per worker it starts: a new socket each time."""
        return [listening_socket(self.config.host, self.config.port)]

    @sockets.setter
    def sockets(self, _shared: list[socket.socket]) -> None:
        """``Multiprocess.__init__`` stores the shared sockets; there are none here."""

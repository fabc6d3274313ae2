"""One running pmdesk per user and display: a second `pmdesk FILE` (what a double-click on a dump runs) on the
same display hands FILE to the window already open there over a local socket and exits; on another display
(another X server or Wayland session) it starts its own window. A socket left by a pmdesk that crashed is
noticed (nobody answers on it) and replaced."""

from __future__ import annotations

import getpass
import json
import os
import re

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

TIMEOUT_MS = 1000


def display_name() -> str:
    """The display this process shows windows on ('' where there is only one: macOS, Windows)."""
    return os.environ.get("WAYLAND_DISPLAY") or os.environ.get("DISPLAY") or ""


def server_name() -> str:
    display = re.sub(r"[^A-Za-z0-9.-]", "_", display_name())
    return f"pmdesk-{getpass.getuser()}" + (f"-{display}" if display else "")


def hand_over(paths: list[str], name: str | None = None) -> bool:
    """Give `paths` to the pmdesk already running; False when there is none to give them to."""
    sock = QLocalSocket()
    sock.connectToServer(name or server_name())
    if not sock.waitForConnected(TIMEOUT_MS):
        return False
    sock.write(json.dumps({"open": [os.path.abspath(p) for p in paths]}).encode() + b"\n")
    ok = sock.waitForBytesWritten(TIMEOUT_MS)
    sock.disconnectFromServer()
    return ok


class InstanceServer(QObject):
    """Listens for paths from later `pmdesk` starts; `open_requested` carries them (maybe none: just show)."""

    open_requested = Signal(list)

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._connection)
        self.stale_removed = False
        if not self.server.listen(self.name):
            if hand_over([], self.name):  # somebody else is really listening: leave them be
                return
            QLocalServer.removeServer(self.name)  # a socket left behind by a crashed pmdesk
            self.stale_removed = True
            self.server.listen(self.name)

    @property
    def listening(self) -> bool:
        return self.server.isListening()

    def _connection(self) -> None:
        sock = self.server.nextPendingConnection()
        if sock is None:
            return
        buf = bytearray()

        def read() -> None:
            buf.extend(bytes(sock.readAll()))
            if buf.endswith(b"\n"):
                try:  # anything but {"open": [paths]} is refused quietly
                    asked = json.loads(buf.decode()).get("open", [])
                    paths = [p for p in asked if isinstance(p, str)] if isinstance(asked, list) else []
                except (ValueError, AttributeError, RecursionError, UnicodeDecodeError):
                    paths = []
                self.open_requested.emit(paths)
                sock.disconnectFromServer()

        sock.readyRead.connect(read)
        sock.disconnected.connect(sock.deleteLater)
        if sock.bytesAvailable():
            read()

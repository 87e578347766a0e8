"""State that survives a restart without a shared store: `serve --snapshot FILE` writes the state export there
every few seconds (when it changed) and on a clean stop, and the next start reads it back (`create_app`).

A reset still returns to the start state (the state file's or the data set's): the snapshot is where the world
was left, not where it begins.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from multiprocessing.util import Finalize
from pathlib import Path

from mockserver.core.store import MemoryStore

log = logging.getLogger("mockserver.snapshot")


class Snapshot:
    """Writes `store`'s export to `path`, atomically (a crash mid-write leaves the previous file whole)."""

    def __init__(self, path: Path, store: MemoryStore, every: float):
        self.path, self.store, self.every = path, store, every
        self._saved = store.version  # what was loaded is on disk already
        self._lock = threading.Lock()

    def keep(self) -> None:
        """Save every `every` seconds (0: only at the end) and when the process ends: at interpreter exit, and in
        granian's worker too (a multiprocessing child, which ends with os._exit and so skips atexit)."""
        if self.every > 0:
            threading.Thread(target=self._every, name="mockserver-snapshot", daemon=True).start()
        Finalize(None, self.save, exitpriority=20)  # before the access log's last lines (10)

    def save(self) -> bool:
        """Write the export if the state changed since the last write; True when it did."""
        with self._lock:
            version = self.store.version  # read first: a change during the export is saved next time
            if version == self._saved:
                return False
            text = json.dumps(self.store.export(), separators=(",", ":"))
            partial = self.path.with_name(f".{self.path.name}.partial")
            with partial.open("w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, self.path)
            self._saved = version
            return True

    def _every(self) -> None:
        while True:
            time.sleep(self.every)
            try:
                self.save()
            except OSError as error:  # a full disk or a removed folder: said, and tried again next time
                log.warning("could not write the snapshot %s: %s", self.path, error)

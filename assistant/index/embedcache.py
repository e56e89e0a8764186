"""A persistent cache of passage embeddings keyed by (model, exact text).

Shared by every index built with the same model (the main index, the evaluation index,
a rebuilt index), so the same text is never embedded twice. Writes are transactional:
a build killed midway leaves the cache consistent.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np


class EmbeddingCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._con = sqlite3.connect(self.path, check_same_thread=False, timeout=60)
        self._con.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, dim INTEGER NOT NULL, vec BLOB NOT NULL)")
        self._con.commit()

    def get_many(self, keys: Sequence[bytes], dim: int) -> dict[bytes, np.ndarray]:
        out: dict[bytes, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                part = list(keys[i : i + 500])
                marks = ",".join("?" * len(part))
                for key, d, blob in self._con.execute(f"SELECT key, dim, vec FROM vectors WHERE key IN ({marks})", part):
                    if d == dim:
                        out[bytes(key)] = np.frombuffer(blob, dtype=np.float32)
        return out

    def put_many(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        with self._lock, self._con:
            self._con.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?,?,?)",
                [(k, int(v.shape[0]), np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in zip(keys, vectors, strict=True)],
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._con.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._con.close()

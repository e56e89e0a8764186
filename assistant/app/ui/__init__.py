"""The web chat: a Gradio app that renders the assistant's answers and calls :class:`~assistant.app.Assistant`.

``build_app(assistant, evaluate=None)`` builds the Blocks (testable without a server);
``serve(cfg, evaluate=None)`` launches it (``assistant serve`` / ``assistant run``).
"""

from __future__ import annotations

__all__ = ["build_app", "serve"]


def __getattr__(name: str):  # lazy: importing the package must not import Gradio
    if name in __all__:
        from . import app

        return getattr(app, name)
    raise AttributeError(name)

"""App: the :class:`Assistant` facade over answering, the document library (uploads),
feedback and exports, and the two ways staff reach it: the command line (``cli``) and the
web chat (``ui``). The last stage: nothing imports it."""

from .assistant import Assistant
from .exports import conversation_markdown
from .feedback import FeedbackStore
from .library import DocumentLibrary, Library, UploadJob

__all__ = ["Assistant", "DocumentLibrary", "FeedbackStore", "Library", "UploadJob", "conversation_markdown"]

"""서울시 문서 도우미 — a Korean document assistant for city-government staff.

The package reads as the data flows, one way:

``ingest`` (files → documents → chunks) → ``index`` (embeddings, FAISS, BM25, SQLite) →
``search`` (question analysis, hybrid retrieval) → ``answer`` (candidates, ranking, cited
answers, abstention) → ``eval`` (question sets, metrics, reports, calibration, benchmark) →
``app`` (the ``Assistant`` facade, command line, web chat).

``records`` (the typed records that flow between stages), ``config`` (the one typed
configuration) and ``lexicon`` (every word list and pattern) sit at the root and import
nothing of the stages.
"""

# How the chunk sweep was measured (eval/reports/retrieval/README.md): each index built with
# ASSISTANT_CHUNKING_MAX_TOKENS=M ASSISTANT_CHUNKING_OVERLAP_TOKENS=O assistant index --corpus corpus --corpus eval/distractors \
#   --corpus ../shared/seoul-docs --index index/sweep-M-O, then: .venv/bin/python eval/reports/retrieval/chunk_sweep.py INDEX...
import json, sys, statistics
from pathlib import Path
from assistant.index import SearchIndex, create_embedder
from assistant.search import Retriever, load_fusion, select
from assistant.eval.questions import load_questions, split_heldout
from assistant.eval import fitfusion as ff
from assistant.eval.metrics import answer_recall_at_k
files = sorted(str(p) for p in Path("eval/questions").rglob("*.jsonl"))
dev, _ = split_heldout(load_questions(files))
emb = create_embedder()
fusion = load_fusion()
out = {}
for idx in sys.argv[1:]:
    ix = SearchIndex.load(idx)
    r = Retriever(ix, emb)
    samples = ff.collect(dev, r)
    answers = {}
    for it in dev:
        for i, t in enumerate(it.turns):
            answers[f"{it.id}#{i+1}" if it.conversation else it.id] = t.answers
    texts = {}
    def ar5(s, scores):
        top = [c for c, _ in select(scores, 5)]
        missing = [c for c in top if c not in texts]
        if missing:
            texts.update({c: ch.index_text for c, ch in ix.store.chunks(missing).items()})
        a = answers[s.id]
        return answer_recall_at_k([texts[c] for c in top], a, 5) if a else None
    row = {"chunks": ix.manifest.n_chunks, "chunking": ix.manifest.chunking}
    lens = [len(c.text) for d in ix.doc_order for c in ix.store.document_chunks(d) if c.kind == "text"]
    row["text_chunks"] = len(lens); row["text_chars_mean"] = round(statistics.mean(lens))
    for name, sys_ in (("bm25", "bm25"), ("dense", "dense"), ("fused", fusion)):
        ms = [ff.measure(s, ff._system(s, sys_)) for s in samples]
        row[name] = ff.summary(ms)
        vals = [ar5(s, ff._system(s, sys_)) for s in samples]
        vals = [v for v in vals if v is not None]
        row[name]["answer_recall@5"] = round(sum(vals) / len(vals), 4)
    out[idx] = row
    print(idx, json.dumps(row), flush=True)
json.dump(out, open("chunk_sweep.json", "w"), indent=1)

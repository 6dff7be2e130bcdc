"""What a trust test types against: the language model its outcome function receives (`LM`) and the gate
fixture it asks for (`Gate`), with the value types they exchange. fixtures/ implements both
(fixtures/engine.py, fixtures/gate.py); trust_tests/ only sees these protocols.

This module imports nothing else from the project.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Union, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from contracts.results import MetricResult

# A chat message {"role": "system" | "user" | "assistant", "content": ...}; a prompt is raw text or messages.
Message = Mapping[str, str]
Prompt = Union[str, Sequence[Message]]
# A group-level metric on a resample: (per-item values, resampled indices) -> value in [0, 1], 1 = best.
Statistic = Callable[["np.ndarray", "np.ndarray"], float]


class BatchStatistic(Protocol):
    """A Statistic that also scores B draws at once. `batch(values, counts)`: values (B, n), each draw's
    per-item values; counts (B, n), how often each item is in the draw (all 1 for a permutation). It must equal
    the statistic called once per draw, with item i repeated counts[b, i] times; the gate's thousands of
    resamples and permutations then cost a few array operations instead of a Python call each."""

    def __call__(self, values: np.ndarray, idx: np.ndarray, /) -> float: ...

    def batch(self, values: np.ndarray, counts: np.ndarray, /) -> np.ndarray: ...


def with_batch(statistic: Statistic, batch: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> BatchStatistic:
    """`statistic`, carrying its batched form for the gate."""
    statistic.batch = batch  # type: ignore[attr-defined]
    return statistic  # type: ignore[return-value]

# A custom signal test on the reference's per-item values: (has_signal, reason).
Signal = Callable[["np.ndarray"], tuple[bool, str]]


@runtime_checkable
class LM(Protocol):
    """A loaded language model, batched and cached. Options are scored as written (a leading space in raw-text
    prompts, none after a chat header)."""

    model_id: str

    def loglik(self, requests: Sequence[tuple[Prompt, str]]) -> list[float]:
        """Σ log p(continuation | prompt) per request."""
        ...

    def option_logprobs(self, prompts: Sequence[Prompt], options: Sequence[Sequence[str]]) -> list[list[float]]:
        """Each option's log-likelihood after its prompt."""
        ...

    def choose(self, prompts: Sequence[Prompt], options: Sequence[Sequence[str]]) -> list[int]:
        """The argmax of option_logprobs per prompt."""
        ...

    def generate(self, prompts: Sequence[Prompt], *, max_new_tokens: int, temperature: float = 0.0,
                 top_p: float = 1.0, seed: int = 0, n: int = 1) -> list[list[str]]:
        """n samples per prompt."""
        ...

    def token_logprobs(self, texts: Sequence[str]) -> list[Any]:
        """Per text, the full next-token log-distribution at every position ([tokens, vocab] arrays); backends
        that cannot give them raise `DistributionsUnavailable` (a NotImplementedError)."""
        ...

    def paired_measure(self, reference: LM, texts: Sequence[str],
                       measure: Callable[[Any, Any], Sequence[float]], name: str) -> list[list[float]]:
        """Per text, measure(reference's token_logprobs, this model's), cached under `name`."""
        ...


# Per-item values in [0, 1] (1 = trustworthy/correct), optionally with the model's answer text per item.
Outcome = Callable[[LM], Union[Sequence[float], tuple[Sequence[float], Sequence[str]]]]


@runtime_checkable
class Gate(Protocol):
    """The `gate` fixture: bound to one candidate model for one test (docs/DESIGN.md, "What a trust test sees")."""

    @property
    def tier(self) -> str: ...

    @property
    def seed(self) -> int: ...

    @property
    def limit(self) -> int | None: ...

    @property
    def dt_data(self) -> Path | None: ...

    @property
    def dt_study(self) -> Path | None: ...

    def reference_lm(self) -> LM:
        """The dense reference's LM, for outcome functions that compare the two models directly (fidelity)."""
        ...

    def check(
        self,
        *,
        dimension: str,
        metric: str,
        items: Sequence[Mapping[str, Any]],
        outcome: Outcome,
        kind: str = "binary",
        chance: float | None = None,
        statistic: Statistic | None = None,
        signal: Signal | None = None,
        weight: float = 1.0,
        probe_version: str = "",
    ) -> MetricResult:
        """Gate one metric of the candidate against its reference; records it in the scorecard, and passes,
        fails, or skips as inconclusive."""
        ...

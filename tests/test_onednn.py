"""float32 linears routed through oneDNN compute what nn.Linear computes, up to float32 rounding."""
from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.backends import onednn

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not onednn.available(), reason="this torch build has no oneDNN linear op")


class _Custom(torch.nn.Linear):
    """Stands in for a quantized or compressed linear: a subclass keeps its own forward."""


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(48, 96), torch.nn.Linear(96, 32, bias=False), _Custom(32, 8))


@pytest.mark.parametrize("shape", [(1, 48), (5, 48), (3, 7, 48), (2, 1, 1, 48), (0, 48), (64, 48)],
                         ids=lambda s: "x".join(map(str, s)))
def test_routed_linears_match_torch_up_to_float32_rounding(shape: tuple[int, ...]) -> None:
    plain, routed = _model(), _model()
    assert onednn.route_linears(routed) == 2  # not the subclass
    assert onednn.route_linears(torch.nn.Linear(4, 4).double()) == 0  # float32 only
    x = torch.randn(*shape)
    with torch.inference_mode():
        want, got = plain(x), routed(x)
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    with torch.inference_mode():
        exact = [m.double() for m in _model()][:2]
        ref = exact[1](exact[0](x.double()))
        mid = routed[1](routed[0](x))
    # A wrong layout (a transposed weight, a dropped bias) would be off by O(1), not by rounding.
    torch.testing.assert_close(mid.double(), ref, rtol=1e-5, atol=1e-5)


def test_routed_linears_fall_back_to_torch_where_gradients_are_needed() -> None:
    routed = _model()
    onednn.route_linears(routed)
    x = torch.randn(4, 48, requires_grad=True)
    routed[0](x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_the_hf_backend_routes_its_model(tiny_model_dir: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from fixtures.backends.hf import HFBackend

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype="float32").eval()
    plain = sum(type(m) is torch.nn.Linear for m in model.modules())
    backend = HFBackend(model, AutoTokenizer.from_pretrained(tiny_model_dir))
    assert backend.onednn_linears == plain > 0

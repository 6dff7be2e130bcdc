"""The CPU fast paths compute what transformers computes, up to float32 rounding: float32 linears on oneDNN,
masked attention without copying KV heads."""
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


class _Attn:
    """What transformers' SDPA path reads off an attention module."""

    def __init__(self, groups: int) -> None:
        self.num_key_value_groups, self.is_causal, self.training = groups, True, False


@pytest.mark.parametrize(("heads", "kv_heads", "q_len"), [(9, 3, 1), (8, 2, 1), (4, 4, 1), (9, 3, 5)],
                         ids=["gqa3-decode", "gqa4-decode", "mha-decode", "gqa3-prefill"])
def test_shared_kv_attention_matches_transformers_sdpa(heads: int, kv_heads: int, q_len: int) -> None:
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    from fixtures.backends.attention import shared_kv_attention

    torch.manual_seed(1)
    batch, kv_len, dim = 3, 11, 16
    q = torch.randn(batch, heads, q_len, dim)
    k = torch.randn(batch, kv_heads, kv_len + 4, dim)[:, :, :kv_len]  # a strided view, as the reserved cache gives
    v = torch.randn(batch, kv_heads, kv_len + 4, dim)[:, :, :kv_len]
    mask = torch.ones(batch, 1, q_len, kv_len, dtype=torch.bool)
    mask[0, ..., :4] = False  # left padding of a shorter prompt
    mask[2, ..., :1] = False
    module = _Attn(heads // kv_heads)
    for m in (mask, None):
        want, _ = sdpa_attention_forward(module, q, k, v, m, scaling=0.25)
        got, _ = shared_kv_attention(module, q, k, v, m, scaling=0.25)
        assert got.shape == want.shape == (batch, q_len, heads, dim)
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


def _packed_tree_mask(batch: int, trunk: int, width: int, seed: int) -> torch.Tensor:
    """Rows of chains and option trees side by side after a trunk, padding seeing itself: what packing builds."""
    gen = torch.Generator().manual_seed(seed)
    mask = torch.zeros(batch, 1, width, trunk + width, dtype=torch.bool)
    mask[..., :trunk] = True
    for b in range(batch):
        at = 0
        while at < width:
            stem = int(torch.randint(1, 200, (1,), generator=gen))
            options = [int(torch.randint(1, 40, (1,), generator=gen)) for _ in range(int(torch.randint(0, 5, (1,),
                                                                                                     generator=gen)))]
            if at + stem + sum(options) > width - 7:
                break
            for j in range(stem):
                mask[b, 0, at + j, trunk + at : trunk + at + j + 1] = True
            start = at + stem
            for n in options:  # each option sees the stem and itself, not its siblings
                for j in range(n):
                    mask[b, 0, start + j, trunk + at : trunk + at + stem] = True
                    mask[b, 0, start + j, trunk + start : trunk + start + j + 1] = True
                start += n
            at = start
        for j in range(at, width):  # padding
            mask[b, 0, j, trunk + j] = True
    return mask


@pytest.mark.parametrize(("trunk", "width"), [(0, 600), (37, 517), (0, 1024)])
def test_blocked_attention_matches_one_masked_call(trunk: int, width: int) -> None:
    from fixtures.backends.attention import MIN_BLOCKED_QUERIES, blocked_attention, shared_kv_attention

    assert width >= MIN_BLOCKED_QUERIES  # the model's path takes blocks at these widths
    torch.manual_seed(2)
    batch, heads, kv_heads, dim = 3, 9, 3, 16
    q = torch.randn(batch, heads, width, dim)
    k = torch.randn(batch, kv_heads, trunk + width, dim)
    v = torch.randn(batch, kv_heads, trunk + width, dim)
    mask = _packed_tree_mask(batch, trunk, width, seed=width + trunk)
    want = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=0.25, enable_gqa=True)
    want = want.transpose(1, 2)
    torch.testing.assert_close(blocked_attention(q, k, v, mask, 0.25), want, rtol=1e-5, atol=1e-6)
    got, _ = shared_kv_attention(_Attn(heads // kv_heads), q, k, v, mask, scaling=0.25)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)

"""Multi-head attention written with plain matmuls, so that both ONNX graphs export the same ops everywhere."""
import torch
from torch import nn


class Attention(nn.Module):
    """softmax(Q K^T / sqrt(d)) V (Vaswani et al. 2017, eq. 1); self-attention when context is None."""

    def __init__(self, query_dim: int, context_dim: int, heads: int):
        super().__init__()
        if query_dim % heads:
            raise ValueError(f"query_dim {query_dim} is not divisible by heads {heads}")
        self.heads = heads
        self.scale = (query_dim // heads) ** -0.5
        self.q = nn.Linear(query_dim, query_dim, bias=False)
        self.k = nn.Linear(context_dim, query_dim, bias=False)
        self.v = nn.Linear(context_dim, query_dim, bias=False)
        self.out = nn.Linear(query_dim, query_dim)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        return x.reshape(b, n, self.heads, c // self.heads).transpose(1, 2)  # [B, heads, N, d]

    def forward(self, x: torch.Tensor, context: torch.Tensor = None) -> torch.Tensor:
        """x [B, N, C], context [B, M, Cc] -> [B, N, C]."""
        context = x if context is None else context
        q, k, v = self._split(self.q(x)), self._split(self.k(context)), self._split(self.v(context))
        weights = torch.softmax(q @ k.transpose(-1, -2) * self.scale, dim=-1)
        b, _, n, _ = q.shape
        return self.out((weights @ v).transpose(1, 2).reshape(b, n, -1))

"""The paper's evaluation: CLIP similarity and R@1 among all evaluated prompts, plus attribute accuracy."""
from typing import Dict, List

import torch

from ..world.grammar import parse
from .alternatives import alternatives
from .model import Evaluator
from .tokens import encode


@torch.no_grad()
def score(model: Evaluator, images: torch.Tensor, prompts: List[str], views_per_prompt: int,
          batch: int = 256) -> Dict[str, float]:
    """images [P * V, 3, H, W] grouped by prompt (views consecutive), prompts [P] with distinct assets.

    similarity(i, j) = mean over the V views of prompt i of cos(image, text j); R@1 counts prompts whose own text
    has the highest similarity. Attribute accuracy is zero-shot, as CLIP is used: a stated attribute counts as
    recognised when the prompt's own text is more similar to the views than every alternative prompt with that
    attribute changed (alternatives.py).
    """
    model.eval()
    n_prompts, views = len(prompts), views_per_prompt
    if images.shape[0] != n_prompts * views:
        raise ValueError(f"expected {n_prompts * views} images for {n_prompts} prompts x {views} views, "
                         f"got {images.shape[0]}")
    img_emb = torch.cat([model.encode_images(images[i:i + batch])[0] for i in range(0, images.shape[0], batch)])
    txt_emb = torch.cat([model.encode_text(encode(prompts[i:i + batch])) for i in range(0, n_prompts, batch)])
    sim = (img_emb @ txt_emb.T).reshape(n_prompts, views, n_prompts).mean(1)  # [P, P]
    own = sim.diagonal()
    r1 = (sim.argmax(1) == torch.arange(n_prompts)).float().mean().item()
    correct, per_attribute = [], {}
    for i, p in enumerate(prompts):
        alts = alternatives(parse(p))
        if not alts:
            continue
        flat = [q for qs in alts.values() for q in qs]
        alt_emb = torch.cat([model.encode_text(encode(flat[k:k + batch])) for k in range(0, len(flat), batch)])
        alt_sim = (img_emb[i * views:(i + 1) * views] @ alt_emb.T).mean(0)  # averaged over views, like R@1
        start = 0
        for name, qs in alts.items():
            ok = float(own[i] > alt_sim[start:start + len(qs)].max())
            start += len(qs)
            correct.append(ok)
            per_attribute.setdefault(name, []).append(ok)
    return {
        "r1": r1,
        "clip_sim": own.mean().item(),
        "attr_acc": sum(correct) / max(len(correct), 1),
        "attr_acc_per_attribute": {h: sum(v) / len(v) for h, v in per_attribute.items()},
        "prompts": n_prompts,
        "views_per_prompt": views,
    }

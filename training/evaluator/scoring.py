"""The paper's evaluation: CLIP similarity and R@1 among all evaluated prompts, plus attribute accuracy."""
from typing import Dict, List

import torch

from ..world.grammar import parse
from .attributes import HEADS, targets_and_stated
from .model import Evaluator
from .tokens import encode


@torch.no_grad()
def score(model: Evaluator, images: torch.Tensor, prompts: List[str], views_per_prompt: int,
          batch: int = 256) -> Dict[str, float]:
    """images [P * V, 3, H, W] grouped by prompt (views consecutive), prompts [P] with distinct assets.

    similarity(i, j) = mean over the V views of prompt i of cos(image, text j); R@1 counts prompts whose own text
    has the highest similarity. Attribute accuracy averages, over views, each head's accuracy on the attributes the
    prompt states.
    """
    model.eval()
    n_prompts, views = len(prompts), views_per_prompt
    if images.shape[0] != n_prompts * views:
        raise ValueError(f"expected {n_prompts * views} images for {n_prompts} prompts x {views} views, "
                         f"got {images.shape[0]}")
    img_emb, feats = zip(*(model.encode_images(images[i:i + batch]) for i in range(0, images.shape[0], batch)))
    img_emb, feats = torch.cat(img_emb), torch.cat(feats)
    txt_emb = torch.cat([model.encode_text(encode(prompts[i:i + batch])) for i in range(0, n_prompts, batch)])
    sim = (img_emb @ txt_emb.T).reshape(n_prompts, views, n_prompts).mean(1)  # [P, P]
    own = sim.diagonal()
    r1 = (sim.argmax(1) == torch.arange(n_prompts)).float().mean().item()
    logits = model.attribute_logits(feats)
    correct = stated_total = 0
    per_head = {}
    for i, p in enumerate(prompts):
        targets, stated = targets_and_stated(parse(p))
        for h, t, s in zip(HEADS, targets, stated):
            if not s:
                continue
            pred = logits[h][i * views:(i + 1) * views].argmax(-1)
            acc = (pred == t).float().mean().item()
            correct += acc
            stated_total += 1
            per_head.setdefault(h, []).append(acc)
    return {
        "r1": r1,
        "clip_sim": own.mean().item(),
        "attr_acc": correct / max(stated_total, 1),
        "attr_acc_per_head": {h: sum(v) / len(v) for h, v in per_head.items()},
        "prompts": n_prompts,
        "views_per_prompt": views,
    }

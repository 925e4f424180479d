"""Contact sheets: a grid of images with wrapped captions, for a person to look at."""
import textwrap
from typing import Sequence

import numpy as np
import torch
from PIL import Image, ImageDraw

CAPTION_LINES = 3
LINE_HEIGHT = 11


def contact_sheet(images: torch.Tensor, captions: Sequence[str], path, columns: int = 8, scale: int = 2) -> None:
    """images [N, 3, H, W] in [0, 1]; each tile shows one image (upscaled) above its caption."""
    n, _, h, w = images.shape
    tile_w, tile_h = w * scale, h * scale + CAPTION_LINES * LINE_HEIGHT + 4
    rows = (n + columns - 1) // columns
    sheet = Image.new("RGB", (columns * tile_w, rows * tile_h), "white")
    draw = ImageDraw.Draw(sheet)
    pixels = (images.clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy() * 255).astype(np.uint8)
    chars = max(8, tile_w // 6)
    for i in range(n):
        x, y = (i % columns) * tile_w, (i // columns) * tile_h
        sheet.paste(Image.fromarray(pixels[i]).resize((tile_w, h * scale), Image.NEAREST), (x, y))
        for j, line in enumerate(textwrap.wrap(captions[i], chars)[:CAPTION_LINES]):
            draw.text((x + 2, y + h * scale + 2 + j * LINE_HEIGHT), line, fill=(0, 0, 0))
    sheet.save(path)

"""The 2D prior: a text- and camera-conditioned epsilon-prediction diffusion model of the Asset World.

Importing the package registers its parts: "word-tokenizer", "text-transformer", "camera-unet".
"""
from . import text_encoder, tokenizer, unet  # noqa: F401  (registration side effects)

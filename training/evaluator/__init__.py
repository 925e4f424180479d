"""Our CLIP-like evaluator: image/text embeddings (CLIP similarity, R@1) and attribute classifiers, trained on world renders."""

"""The Asset World: procedural game assets with exact 3D ground truth, a prompt grammar and a renderer."""

"""Utilities shared by the world, the prior and the distillation trainer."""

"""Score distillation: the triplane geometry, its renderer, the guidance methods (ASD, SDS, CSD, VSD) and the
amortized text-to-triplane generator trained with them."""

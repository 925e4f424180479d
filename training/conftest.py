import torch

# Tests share two cores with everything else; one thread avoids OpenMP oversubscription stalls.
torch.set_num_threads(1)

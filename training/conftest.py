from training.common.threads import set_threads

# Tests share two cores with everything else; one thread avoids OpenMP oversubscription stalls.
set_threads(1)

"""Privacy: consent, erasure (with suppression of the erased), access exports and retention."""

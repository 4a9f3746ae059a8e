"""Identity matching: deterministic clustering now; Splink models and scoring to come."""

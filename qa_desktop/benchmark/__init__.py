"""`qa-desktop bench`: qa-desktop against the transformers pipeline, same weights, one run."""

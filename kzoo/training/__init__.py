"""Training helpers (multi-device: `kzoo.training.distribution`)."""

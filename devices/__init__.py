"""Device models of the PC platform (one module per chip)."""

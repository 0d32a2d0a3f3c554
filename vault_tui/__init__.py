"""vault-tui: a terminal UI for HashiCorp Vault and OpenBao operators."""

__version__ = "0.1.0"

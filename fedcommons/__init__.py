"""fedcommons: a federated contribution tracker for peer production."""

__version__ = "0.1.0"

"""vigvision: candidate moments of attuned interaction in long films, for Video Interaction Guidance."""

__version__ = "0.1.0"

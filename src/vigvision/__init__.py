"""vigvision: candidate moments of attuned interaction in films, for Video Interaction Guidance."""

__version__ = "0.1.0"

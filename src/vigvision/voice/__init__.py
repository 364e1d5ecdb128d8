"""Voices in the sound track: when someone speaks, and who."""

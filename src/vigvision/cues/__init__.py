"""Attunement cues: pure functions over people and turns, on one time grid.

Every cue is NaN where it cannot be observed (a face not seen, a film without sound): "not
seen" is never "absent". Each cue module reads the grid of one adult-child pair.
"""

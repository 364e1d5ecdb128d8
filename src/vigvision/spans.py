"""Time in vigvision: pyannote.core's ``Segment`` (a stretch), ``Timeline`` (stretches) and
``Annotation`` (who speaks when), the values researchers know from pyannote.

>>> from pyannote.core import Segment
>>> moment = Segment(12.0, 20.0)
>>> moment.duration, moment.middle
(8.0, 16.0)
>>> moment & Segment(18.0, 30.0)
<Segment(18, 20)>
"""

from __future__ import annotations

from pyannote.core import Segment


class Spanned:
    """Something that lasts a stretch of the film (``span``), read as ``start`` and ``end``."""

    span: Segment

    @property
    def start(self) -> float:
        return float(self.span.start)

    @property
    def end(self) -> float:
        return float(self.span.end)

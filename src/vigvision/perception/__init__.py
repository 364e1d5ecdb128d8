"""Perception: faces and bodies in each analysed frame.

Importing this package checks that MediaPipe's shipped model files are present, so that a
broken installation is reported by name before any film is read.
"""

from vigvision.perception.mediapipe_models import check_shipped_models

check_shipped_models()

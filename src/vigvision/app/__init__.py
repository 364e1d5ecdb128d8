"""The guider's app: cases, films, analyses, reviews and cycles on one local page."""

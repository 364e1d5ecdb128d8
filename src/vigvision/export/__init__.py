"""What leaves the pipeline for people: reports, clips, stills, annotation files."""

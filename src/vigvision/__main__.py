"""``python -m vigvision``: the same as the ``vigvision`` command."""

from vigvision.cli import main

main()

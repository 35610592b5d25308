"""``python -m switchboard`` is the same as the ``switchboard`` script."""

from switchboard.cli import main

main()

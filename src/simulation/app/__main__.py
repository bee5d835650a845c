"""``python -m simulation.app``: the same as ``lieux-app``."""

from simulation.app.server import main

if __name__ == "__main__":
    main()

"""``python -m analyzer`` runs the command line, as the ``analyzer`` script does."""

from analyzer.cli import main

if __name__ == "__main__":
    main()

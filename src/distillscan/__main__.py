"""`python -m distillscan` runs the command-line interface."""

from distillscan.cli import main

if __name__ == "__main__":
    main()

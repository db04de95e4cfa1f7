"""`python -m distillscan` runs the command-line interface."""

from distillscan.launch import main

if __name__ == "__main__":
    main()

"""Command-line parts of main.py: the terminal chat client and the report/seed commands."""

"""The hookbridge command line."""

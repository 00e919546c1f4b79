"""Pure helpers shared by every app: ID numbers, money, working days, crypto, errors.

Nothing in this package imports Django, so it is checked with mypy --strict.
"""

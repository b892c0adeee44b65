"""The staff tool for 好差评: the 差评 cases and the period report (`python -m tools.feedback`)."""

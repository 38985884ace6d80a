"""Python between compiled epochs: the loop, optimizer state, schedules, L-BFGS."""
